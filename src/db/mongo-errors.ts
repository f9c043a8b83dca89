import mongoose from 'mongoose';
import { ConflictError, InvalidInputError, type FieldProblem } from '../common/errors.js';

const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): error is { code: number; keyValue?: Record<string, unknown> } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * Turns what mongoose and the driver throw for bad input into domain errors that
 * name the field; anything else is rethrown untouched (a real fault).
 */
export function translateWriteError(error: unknown, describeDuplicate: (keyValue: Record<string, unknown>) => string): never {
  if (error instanceof mongoose.Error.ValidationError) {
    throw new InvalidInputError(validationProblems(error));
  }
  if (error instanceof mongoose.Error.CastError) {
    throw InvalidInputError.single(error.path, `must be a ${error.kind}, got ${JSON.stringify(error.value)}`);
  }
  if (isDuplicateKeyError(error)) {
    throw new ConflictError(describeDuplicate(error.keyValue ?? {}));
  }
  throw error;
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
