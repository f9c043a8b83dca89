import type { Schema } from 'mongoose';
import { InvalidInputError, type FieldProblem } from './errors.js';

/** What callers may write: each top-level field, and whether its nested object merges (true) or is replaced. */
export type WritableFields = Readonly<Record<string, 'value' | 'object'>>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/**
 * Turns a partial input into dotted `$set` paths, so `{ ssh_config: { port: 2222 } }`
 * changes the port and nothing else. Undefined means "leave alone"; null clears a
 * value (but not a whole nested object). Fields outside `writable`, or nested
 * fields the schema does not have, are refused rather than silently dropped.
 */
export function toSetPaths(input: Record<string, unknown>, writable: WritableFields, schema: Schema): Record<string, unknown> {
  const problems: FieldProblem[] = [];
  const paths: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const kind = writable[field];
    if (!kind) {
      problems.push({ field, message: 'is not a field that can be set here' });
    } else if (kind === 'object') {
      if (isPlainObject(value)) flattenInto(paths, field, value);
      else problems.push({ field, message: `must be an object, got ${JSON.stringify(value)}` });
    } else {
      paths[field] = value;
    }
  }
  for (const path of Object.keys(paths)) {
    if (path.includes('.') && schema.pathType(path) === 'adhocOrUndefined') problems.push({ field: path, message: 'is not a known field' });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return paths;
}

function flattenInto(target: Record<string, unknown>, prefix: string, value: Record<string, unknown>): void {
  for (const [key, nested] of Object.entries(value)) {
    if (nested === undefined) continue;
    const path = `${prefix}.${key}`;
    if (isPlainObject(nested)) flattenInto(target, path, nested);
    else target[path] = nested;
  }
}
