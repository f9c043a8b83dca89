import mongoose from 'mongoose';
import { ConflictError, DomainError, InvalidInputError, type FieldProblem } from '../common/errors.js';
import { showValue } from '../common/validation.js';

const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): error is { code: number; keyValue?: Record<string, unknown> } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * How many documents an unordered insert refused as duplicates, when duplicates are all it refused; null when it
 * failed for another reason. Servers report the refusals as a list or (one) as an object.
 */
export function duplicateRefusals(error: unknown): number | null {
  const writeErrors = (error as { writeErrors?: { code?: number }[] | { code?: number } })?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length > 0) return list.every((e) => e.code === DUPLICATE_KEY) ? list.length : null;
  return isDuplicateKeyError(error) ? 1 : null;
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
  /** What to throw when the document was deleted by another request between reading and saving it. */
  gone?: () => Error,
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
    throw InvalidInputError.single(fullPath(error.path), castMessage(error));
  }
  if (gone && error instanceof mongoose.Error.DocumentNotFoundError) throw gone();
  if (isDuplicateKeyError(error)) {
    throw new ConflictError(describeDuplicate(error.keyValue ?? keyValueFromMessage(error)));
  }
  throw error;
}

/** The domain error `translateWriteError` makes of a refusal, returned (for one item of many); a real fault is thrown. */
export function writeErrorOf(error: unknown, describeDuplicate: (keyValue: Record<string, unknown>) => string, setPaths: readonly string[] = []): DomainError {
  try {
    translateWriteError(error, describeDuplicate, setPaths);
  } catch (translated) {
    if (translated instanceof DomainError) return translated;
    throw translated;
  }
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

/**
 * What is wrong with one field, in this project's words: the validators in src/db/validators.ts write their own
 * messages; mongoose's built-in ones ("Path `x` is longer than...", "Cast to Number failed for value ... at
 * path ...") are reworded here so no ODM wording reaches a caller. The value is never repeated for a built-in
 * rule (it could be long, or a secret).
 */
export function problemMessage(inner: mongoose.Error.ValidatorError | mongoose.Error.CastError): string {
  if (inner instanceof mongoose.Error.CastError) return castMessage(inner);
  const props = (inner.properties ?? {}) as Record<string, unknown>;
  switch (inner.kind) {
    case 'required':
      return 'is required';
    case 'maxlength':
      return `must be at most ${String(props.maxlength)} characters`;
    case 'minlength':
      return `must be at least ${String(props.minlength)} characters`;
    case 'min':
      return `must be at least ${String(props.min)}`;
    case 'max':
      return `must be at most ${String(props.max)}`;
    case 'enum':
      return Array.isArray(props.enumValues) ? `must be one of ${props.enumValues.join(', ')}` : 'is not one of the allowed values';
    case 'regexp':
      return 'is not in the expected form';
    case 'user defined':
      // Our validators' messages; a validator without one falls back to mongoose's "Validator failed for path".
      return /^Validator failed for path|Path `/.test(inner.message) ? 'is not valid' : inner.message;
    default:
      return /Path `|Cast to|validation failed/i.test(inner.message) ? 'is not valid' : inner.message;
  }
}

/** By mongoose's cast kind, lower-cased (it says `Number` but `date`). */
const CAST_KINDS: Readonly<Record<string, string>> = {
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  date: 'a date',
  objectid: 'an id',
  array: 'a list',
  embedded: 'an object',
  '[number]': 'a list of numbers',
  '[string]': 'a list of texts',
};

/** `must be a number, got "abc"` for mongoose's `Cast to Number failed for value "abc" (type string) at path "port"`. */
function castMessage(error: mongoose.Error.CastError): string {
  const kind = CAST_KINDS[String(error.kind).toLowerCase()] ?? (/^\[/.test(error.kind) ? 'a list' : 'of another type');
  return `must be ${kind}, got ${showValue(error.value)}`;
}
