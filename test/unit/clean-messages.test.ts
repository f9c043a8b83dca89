/**
 * Issue 10 item 6, the pieces: values quoted cut, mongoose's built-in messages and cast errors reworded,
 * range messages naming the bound crossed.
 */
import mongoose from 'mongoose';
import { describe, expect, test } from 'vitest';
import { cutLongQuotedValues, showValue } from '../../src/common/validation.js';
import { problemMessage } from '../../src/db/mongo-errors.js';
import { withinRange } from '../../src/db/validators.js';

describe('quoted values', () => {
  test('short values whole, long ones cut with their size', () => {
    expect(showValue('abc')).toBe('"abc"');
    expect(showValue(42)).toBe('42');
    expect(showValue('x'.repeat(5000))).toBe(`"${'x'.repeat(39)}... (5000 characters)`);
    expect(showValue(Array.from({ length: 100 }, (_, i) => i))).toMatch(/\.\.\. \(100 items\)$/);
  });

  test('long quoted values in messages written by others are cut; short and escaped ones kept', () => {
    const message = `Variable "$input" got invalid value "${'x'.repeat(5000)}" at "input.monitoring.intervalSec"; Int cannot represent non-integer value: "${'x'.repeat(5000)}"`;
    const cut = cutLongQuotedValues(message);
    expect(cut.length).toBeLessThan(300);
    expect(cut).toContain('at "input.monitoring.intervalSec"');
    expect(cutLongQuotedValues('got "short" and "esc\\"aped"')).toBe('got "short" and "esc\\"aped"');
  });
});

describe('range messages', () => {
  const interval = withinRange(5, 86_400, 'seconds');
  test.each([
    [-5, 'must be at least 5, got -5'],
    [100_000, 'must be at most 86400, got 100000'],
    [7.5, 'must be seconds: a whole number between 5 and 86400, got 7.5'],
    ['soon', 'must be seconds: a whole number between 5 and 86400, got "soon"'],
  ])('%s: %s', (value, message) => {
    expect(interval.validator(value)).toBe(false);
    expect(interval.message({ value })).toBe(message);
  });
});

describe("mongoose's own messages never reach a caller", () => {
  const schema = new mongoose.Schema({ name: { type: String, maxlength: 8, minlength: 2, enum: ['ab', 'abc'] }, count: { type: Number, min: 1, max: 3 }, port: Number, on: Boolean, at: Date });
  const Model = mongoose.model('CleanMessagesProbe', schema);

  async function problems(doc: Record<string, unknown>): Promise<Record<string, string>> {
    const error = await new Model(doc).validate().then(
      () => null,
      (e: unknown) => e as mongoose.Error.ValidationError,
    );
    return Object.fromEntries(Object.entries(error?.errors ?? {}).map(([path, inner]) => [path, problemMessage(inner as mongoose.Error.ValidatorError)]));
  }

  test('built-in validators', async () => {
    expect(await problems({ name: 'x'.repeat(20), count: 0 })).toEqual({ name: 'must be at most 8 characters', count: 'must be at least 1' });
    expect(await problems({ name: 'a', count: 9 })).toEqual({ name: 'must be at least 2 characters', count: 'must be at most 3' });
    expect(await problems({ name: 'zzz' })).toEqual({ name: 'must be one of ab, abc' });
  });

  test('cast errors', async () => {
    expect(await problems({ port: 'abc', on: 'maybe', at: 'someday' })).toEqual({
      port: 'must be a number, got "abc"',
      on: 'must be true or false, got "maybe"',
      at: 'must be a date, got "someday"',
    });
  });
});
