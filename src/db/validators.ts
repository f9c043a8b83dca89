/**
 * Mongoose validators whose messages read well after the field path, e.g.
 * "ssh_config.port: must be a TCP port between 1 and 65535, got 70000".
 * Null and undefined pass: `required` decides whether a value must be present.
 * Messages never use mongoose's own wording ("Path `x` ...", "Cast to ..."), quote long values cut
 * (showValue) and, for values that may hold a secret, not at all.
 */
import { showValue } from '../common/validation.js';

interface Validator {
  validator: (value: unknown) => boolean;
  message: (props: { value: unknown }) => string;
}

const absent = (value: unknown) => value === null || value === undefined;
const show = showValue;

/** `secret`: the value may hold a credential or name a secret file, so messages never repeat it. */
export interface ValidatorOptions {
  secret?: boolean;
}

const got = (value: unknown, options: ValidatorOptions) => (options.secret ? '' : `, got ${show(value)}`);

export function matches(pattern: RegExp, what: string, options: ValidatorOptions = {}): Validator {
  return {
    validator: (value) => absent(value) || (typeof value === 'string' && pattern.test(value)),
    message: ({ value }) => `must be ${what}${got(value, options)}`,
  };
}

/** At most `max` characters (mongoose's own maxlength message names its internals: "Path `x` (`...`) is longer..."). */
export function maxLength(max: number): Validator {
  return {
    validator: (value) => absent(value) || (typeof value === 'string' && value.length <= max),
    message: ({ value }) =>
      typeof value === 'string' ? `must be at most ${max} characters, got ${value.length}` : `must be text of at most ${max} characters, got ${show(value)}`,
  };
}

export function oneOf(values: readonly string[]): Validator {
  return {
    validator: (value) => absent(value) || values.includes(value as string),
    message: ({ value }) => `must be one of ${values.join(', ')}, got ${show(value)}`,
  };
}

/** A whole number in [min, max]; one out of range says which bound it crossed ("must be at least 5, got -5"). */
export function withinRange(min: number, max: number, what = 'a number'): Validator {
  return {
    validator: (value) => absent(value) || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max),
    message: ({ value }) => {
      if (Number.isInteger(value) && (value as number) < min) return `must be at least ${min}, got ${show(value)}`;
      if (Number.isInteger(value) && (value as number) > max) return `must be at most ${max}, got ${show(value)}`;
      return `must be ${what}: a whole number between ${min} and ${max}, got ${show(value)}`;
    },
  };
}

export function withinBounds(min: number, max: number): Validator {
  return {
    validator: (value) => absent(value) || (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max),
    message: ({ value }) => `must be between ${min} and ${max}, got ${show(value)}`,
  };
}

export function everyItem(pattern: RegExp, what: string): Validator {
  return {
    validator: (value) => Array.isArray(value) && value.every((item) => typeof item === 'string' && pattern.test(item)),
    message: ({ value }) => `must each be ${what}, got ${show(value)}`,
  };
}

export function everyOneOf(values: readonly string[]): Validator {
  return {
    validator: (value) => Array.isArray(value) && value.every((item) => values.includes(item as string)),
    message: ({ value }) => `must each be one of ${values.join(', ')}, got ${show(value)}`,
  };
}

export function satisfies(check: (value: string) => boolean, what: string, options: ValidatorOptions = {}): Validator {
  return {
    validator: (value) => absent(value) || (typeof value === 'string' && check(value)),
    message: ({ value }) => `must be ${what}${got(value, options)}`,
  };
}

/** Like `satisfies`, with the document being validated (`this`, undefined when a stored value is read alone). */
export function satisfiesInDocument(check: (this: unknown, value: string) => boolean, what: string): Validator {
  return {
    validator(this: unknown, value: unknown) {
      return absent(value) || (typeof value === 'string' && check.call(this, value));
    },
    message: ({ value }) => `must be ${what}${got(value, {})}`,
  };
}

export function everyInRange(min: number, max: number): Validator {
  return {
    validator: (value) => Array.isArray(value) && value.every((item) => Number.isInteger(item) && item >= min && item <= max),
    message: ({ value }) => `must each be a whole number between ${min} and ${max}, got ${show(value)}`,
  };
}
