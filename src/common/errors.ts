/**
 * Domain errors carry the code the API reports in `extensions.code`; one place
 * (the GraphQL error formatter) maps them, so services never import GraphQL.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'UNAUTHENTICATED' | 'FORBIDDEN';

export interface FieldProblem {
  /** Dotted path of the offending field as the caller named it, e.g. `ssh_config.port`. */
  readonly field: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(readonly problems: readonly FieldProblem[]) {
    super('BAD_USER_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }

  static single(field: string, message: string): InvalidInputError {
    return new InvalidInputError([{ field, message }]);
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super('NOT_FOUND', `${entity} '${shownId(id)}' does not exist`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** An id as a message quotes it: a long one (anything may be sent as an id) is cut, not echoed whole. */
function shownId(id: string): string {
  return id.length <= 80 ? id : `${id.slice(0, 40)}... (${id.length} characters)`;
}
