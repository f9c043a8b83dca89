import mongoose from 'mongoose';
import { ConflictError, InvalidInputError, type FieldProblem } from '../common/errors.js';

const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): error is { code: number; keyValue?: Record<string, unknown> } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * Turns what mongoose and the driver throw for bad input into domain errors that
 * name the field; anything else is rethrown untouched (a real fault).
 * `setPaths` are the dotted paths the caller set: mongoose reports a cast error
 * inside a nested object by its last segment only, and this restores the rest.
 */
export function translateWriteError(
  error: unknown,
  describeDuplicate: (keyValue: Record<string, unknown>) => string,
  setPaths: readonly string[] = [],
): never {
  const fullPath = (path: string) => {
    if (setPaths.includes(path)) return path;
    const candidates = setPaths.filter((p) => p.endsWith(`.${path}`));
    return candidates.length === 1 ? candidates[0]! : path;
  };
  if (error instanceof mongoose.Error.ValidationError) {
    throw new InvalidInputError(validationProblems(error).map((p) => ({ ...p, field: fullPath(p.field) })));
  }
  if (error instanceof mongoose.Error.CastError) {
    throw InvalidInputError.single(fullPath(error.path), `must be a ${error.kind}, got ${JSON.stringify(error.value)}`);
  }
  if (isDuplicateKeyError(error)) {
    throw new ConflictError(describeDuplicate(error.keyValue ?? keyValueFromMessage(error)));
  }
  throw error;
}

/** Servers that omit `keyValue` (mongo-java-server) still name the key in the message: `dup key: { host_id: "h1" }`. */
function keyValueFromMessage(error: unknown): Record<string, unknown> {
  const message = (error as { errmsg?: string; message?: string }).errmsg ?? (error as Error).message ?? '';
  const match = /dup key: \{ ?"?([\w.]+)"?: "?([^"}]*?)"? ?\}/.exec(message);
  return match ? { [match[1]!]: match[2] } : {};
}

function validationProblems(error: mongoose.Error.ValidationError): FieldProblem[] {
  return Object.entries(error.errors)
    .filter(([, inner]) => !(inner instanceof mongoose.Error.ValidationError))
    .map(([path, inner]) => ({ field: path, message: problemMessage(inner) }));
}

function problemMessage(inner: mongoose.Error.ValidatorError | mongoose.Error.CastError): string {
  if (inner instanceof mongoose.Error.CastError) return `must be a ${inner.kind}, got ${JSON.stringify(inner.value)}`;
  if (inner.kind === 'required') return 'is required';
  return inner.message;
}
