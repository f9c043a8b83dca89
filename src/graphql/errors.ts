import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, InvalidInputError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { cutLongQuotedValues } from '../common/validation.js';

/** `ssh_config.port` as the API spells it: `sshConfig.port`. */
export function apiFieldPath(storedPath: string, renames: Readonly<Record<string, string>> = API_RENAMES): string {
  return storedPath
    .split('.')
    .map((segment) => renames[segment] ?? segment.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

/** Stored names whose API name is not just their camelCase. */
const API_RENAMES: Readonly<Record<string, string>> = { dependencies: 'dependencyIds', env_name: 'name' };

const PASSED_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'OPERATION_TIMEOUT',
]);

const TOO_MANY_VARIABLE_ERRORS = 'Too many errors processing variables, error limit reached.';

/**
 * The one place errors become what clients see. Domain errors keep their code
 * (and, for bad input, the API path of each field); GraphQL's own request errors
 * pass through; anything else is logged here and reported as
 * INTERNAL_SERVER_ERROR with no stack, driver message or internals.
 */
export function formatErrorFor(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof InvalidInputError) {
      const fields = original.problems.map((p) => ({ path: apiFieldPath(p.field), message: p.message }));
      return {
        message: fields.map((f) => `${f.path}: ${f.message}`).join('; '),
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, fields },
      };
    }
    if (original instanceof DomainError) {
      return { message: original.message, path: formatted.path, locations: formatted.locations, extensions: { code: original.code } };
    }
    // graphql-js stops coercing variables after 50 bad values and says so in an error of its own, without the
    // variable's node, which Apollo then cannot tell for bad input: it is, and nothing failed on our side.
    // (Apollo has labelled it INTERNAL_SERVER_ERROR by the time it reaches here.)
    if (formatted.message.startsWith(TOO_MANY_VARIABLE_ERRORS) && (formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR') === 'INTERNAL_SERVER_ERROR') {
      return { message: formatted.message, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASSED_THROUGH.has(code)) {
      // A rate-limited client is told when to come back (over HTTP the Retry-After header says it too).
      const retryAfter = formatted.extensions?.retryAfter;
      // graphql-js repeats a wrongly typed value whole (twice): a long one comes back cut.
      const message = cutLongQuotedValues(formatted.message);
      return { message, path: formatted.path, locations: formatted.locations, extensions: { code, ...(typeof retryAfter === 'number' ? { retryAfter } : {}) } };
    }
    logger.error('unexpected error in a GraphQL request', {
      path: formatted.path?.join('.'),
      error: original instanceof Error ? (original.stack ?? original.message) : String(original),
    });
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
