/** Which failures are worth another attempt: the classification every checker's thrown errors go through. */
import { describe, expect, test } from 'vitest';
import { failureKindOf } from '../../src/modules/checks/checker.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('failureKindOf', () => {
  test('network failures that may clear are transient, also when wrapped by a driver', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']) expect(failureKindOf(coded(code)), code).toBe('transient');
    expect(failureKindOf(new Error('wrapped', { cause: coded('ECONNRESET') }))).toBe('transient');
    expect(failureKindOf(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe('transient');
    expect(failureKindOf(Object.assign(new AggregateError([coded('ECONNREFUSED')], 'all failed')))).toBe('transient');
    expect(failureKindOf(coded('57P03', 'the database system is starting up'))).toBe('transient');
  });

  test('answers are definitive: no such name, authentication refused, anything unrecognised', () => {
    expect(failureKindOf(coded('ENOTFOUND'))).toBe('definitive');
    expect(failureKindOf(coded('28P01', 'password authentication failed'))).toBe('definitive');
    expect(failureKindOf(coded('ER_ACCESS_DENIED_ERROR', 'Access denied'))).toBe('definitive');
    expect(failureKindOf(new Error('WRONGPASS invalid username-password pair'))).toBe('definitive');
    expect(failureKindOf('something odd')).toBe('definitive');
  });
});
