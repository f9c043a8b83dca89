/**
 * Mongoose validators whose messages read well after the field path, e.g.
 * "ssh_config.port: must be a TCP port between 1 and 65535, got 70000".
 * Null and undefined pass: `required` decides whether a value must be present.
 */
interface Validator {
  validator: (value: unknown) => boolean;
  message: (props: { value: unknown }) => string;
}

const absent = (value: unknown) => value === null || value === undefined;
const show = (value: unknown) => JSON.stringify(value) ?? String(value);

export function matches(pattern: RegExp, what: string): Validator {
  return {
    validator: (value) => absent(value) || (typeof value === 'string' && pattern.test(value)),
    message: ({ value }) => `must be ${what}, got ${show(value)}`,
  };
}

export function oneOf(values: readonly string[]): Validator {
  return {
    validator: (value) => absent(value) || values.includes(value as string),
    message: ({ value }) => `must be one of ${values.join(', ')}, got ${show(value)}`,
  };
}

export function withinRange(min: number, max: number, what = 'a number'): Validator {
  return {
    validator: (value) => absent(value) || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max),
    message: ({ value }) => `must be ${what}: a whole number between ${min} and ${max}, got ${show(value)}`,
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

export function satisfies(check: (value: string) => boolean, what: string): Validator {
  return {
    validator: (value) => absent(value) || (typeof value === 'string' && check(value)),
    message: ({ value }) => `must be ${what}, got ${show(value)}`,
  };
}

export function everyInRange(min: number, max: number): Validator {
  return {
    validator: (value) => Array.isArray(value) && value.every((item) => Number.isInteger(item) && item >= min && item <= max),
    message: ({ value }) => `must each be a whole number between ${min} and ${max}, got ${show(value)}`,
  };
}
