/**
 * The HTTP surface: health endpoints, protocol errors (bad JSON, unknown fields,
 * badly typed variables), what an unexpected error shows a client, and the
 * GraphQL-over-HTTP conformance audit of graphql-http.
 */
import { GraphQLError } from 'graphql';
import { serverAudits, type AuditResult } from 'graphql-http';
import { describe, expect, test } from 'vitest';
import type { Logger } from '../../src/common/logger.js';
import { InvalidInputError, NotFoundError } from '../../src/common/errors.js';
import { formatErrorFor } from '../../src/graphql/errors.js';
import { useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

const origin = () => new URL(api.url).origin;
const admin = () => ({ authorization: `Bearer ${api.keys.admin}` });

/** Signs of internals a client must never see. */
const INTERNALS = /\bat \S+ \(|node_modules|\/src\/|\.ts:\d+|\.js:\d+|SyntaxError|MongoServerError|BSONError|E11000|stack/i;

function recordingLogger(): Logger & { errors: { message: string; fields?: Record<string, unknown> }[] } {
  const errors: { message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger & { errors: typeof errors } = {
    errors,
    child: () => logger,
    debug() {},
    info() {},
    warn() {},
    error(message, fields) {
      errors.push({ message, fields });
    },
  };
  return logger;
}

describe('health endpoints', () => {
  test('GET /healthz answers 200 {status: ok} without a key', async () => {
    const response = await fetch(`${origin()}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz answers 200 {status: ready} while the database answers', async () => {
    const response = await fetch(`${origin()}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  test('the server does not announce itself (no x-powered-by)', async () => {
    const response = await fetch(`${origin()}/healthz`);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('protocol errors', () => {
  test('a body that is not valid JSON is a 400 that shows no stack or parser internals', async () => {
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin() },
      body: '{"query": "{ viewer { role } }"',
    });
    const body = await response.text();
    expect(response.status).toBe(400);
    expect(body).not.toMatch(INTERNALS);
    expect(body).not.toContain('body-parser');
  });

  test('a body over the 1 MB limit is refused (413) without a stack either', async () => {
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin() },
      body: JSON.stringify({ query: '{ viewer { role } }', variables: { padding: 'x'.repeat(1_100_000) } }),
    });
    const body = await response.text();
    expect(response.status).toBe(413);
    expect(body).not.toMatch(INTERNALS);
  });

  test('a query asking for an unknown field is a 400 GRAPHQL_VALIDATION_FAILED naming the field', async () => {
    const response = await api.post({ query: '{ viewer { role favouriteColour } }' }, admin());
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0]!.message).toContain('favouriteColour');
  });

  test('a query that does not parse is a 400 GRAPHQL_PARSE_FAILED', async () => {
    const response = await api.post({ query: '{ viewer { role ' }, admin());
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  test('a variable of the wrong type is BAD_USER_INPUT, and nothing runs', async () => {
    const response = await api.post(
      { query: 'query ($days: Int) { serviceUptime(serviceId: "svc_a", days: $days) { percentage } }', variables: { days: 'thirty' } },
      admin(),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0]!.message).toContain('$days');
  });

  test('a missing required variable is BAD_USER_INPUT', async () => {
    const response = await api.post({ query: 'query ($id: String!) { service(serviceId: $id) { serviceId } }', variables: {} }, admin());
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  test('a request without a key is 401 UNAUTHENTICATED', async () => {
    const response = await api.post({ query: '{ viewer { role } }' });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('unexpected errors', () => {
  test('formatErrorFor turns a plain Error into INTERNAL_SERVER_ERROR without internals, and logs the original', () => {
    const logger = recordingLogger();
    const format = formatErrorFor(logger);
    const original = new Error('connection to mongodb://admin:hunter2@db:27017 reset');
    const graphQLError = new GraphQLError(original.message, { path: ['hosts'], originalError: original });
    const formatted = format({ message: original.message, path: ['hosts'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: original.stack?.split('\n') } }, graphQLError);

    expect(formatted.message).toBe('Internal server error');
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(formatted.path).toEqual(['hosts']);
    expect(JSON.stringify(formatted)).not.toMatch(/hunter2|mongodb:|stack/);
    expect(logger.errors).toHaveLength(1);
    expect(JSON.stringify(logger.errors[0])).toContain('hunter2');
    expect(String(logger.errors[0]!.fields?.error)).toContain(original.stack!.split('\n')[1]!.trim());
  });

  test('a plain Error thrown by a resolver (unwrapped) is handled the same way', () => {
    const logger = recordingLogger();
    const formatted = formatErrorFor(logger)({ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, new TypeError('boom: cannot read x of undefined'));
    expect(formatted).toEqual({ message: 'Internal server error', path: undefined, locations: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logger.errors[0]!.fields?.error).toContain('TypeError');
  });

  test('an error with a made-up code is not passed through', () => {
    const logger = recordingLogger();
    const error = new GraphQLError('driver said: E11000 duplicate key', { extensions: { code: 'SOMETHING_ELSE' } });
    const formatted = formatErrorFor(logger)({ message: error.message, extensions: { code: 'SOMETHING_ELSE' } }, error);
    expect(formatted.message).toBe('Internal server error');
    expect(formatted.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(logger.errors).toHaveLength(1);
  });

  test('domain errors keep their code and say nothing more; bad input names API field paths', () => {
    const logger = recordingLogger();
    const format = formatErrorFor(logger);
    const notFound = format({ message: 'x', path: ['service'] }, new GraphQLError('x', { path: ['service'], originalError: new NotFoundError('service', 'svc_x') }));
    expect(notFound).toMatchObject({ message: "service 'svc_x' does not exist", extensions: { code: 'NOT_FOUND' } });
    const invalid = format({ message: 'x', path: ['createHost'] }, new GraphQLError('x', { path: ['createHost'], originalError: InvalidInputError.single('ssh_config.port', 'must be a TCP port') }));
    expect(invalid).toMatchObject({
      message: 'sshConfig.port: must be a TCP port',
      extensions: { code: 'BAD_USER_INPUT', fields: [{ path: 'sshConfig.port', message: 'must be a TCP port' }] },
    });
    expect(logger.errors).toHaveLength(0);
  });
});

describe('GraphQL over HTTP (graphql-http audits)', () => {
  test('every MUST audit passes', async () => {
    const audits = serverAudits({
      url: api.url,
      fetchFn: (input: string | URL | Request, init?: RequestInit) =>
        fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: `Bearer ${api.keys.admin}` } }),
    });
    const results: AuditResult[] = [];
    for (const audit of audits) results.push(await audit.fn());

    const tally: Record<string, { passed: number; failed: number }> = { MUST: { passed: 0, failed: 0 }, SHOULD: { passed: 0, failed: 0 }, MAY: { passed: 0, failed: 0 } };
    for (const result of results) {
      const level = result.name.split(' ')[0]!;
      tally[level]![result.status === 'ok' ? 'passed' : 'failed']++;
    }
    const failures = results.filter((r) => r.status !== 'ok');
    console.log(
      `[graphql-http audit] ${results.length} audits: ` +
        Object.entries(tally)
          .map(([level, t]) => `${level} ${t.passed} passed / ${t.failed} failed`)
          .join(', '),
    );
    for (const failure of failures) console.log(`[graphql-http audit] ${failure.status}: ${failure.id} ${failure.name} — ${'reason' in failure ? failure.reason : ''}`);

    const mustFailures = failures.filter((r) => r.name.startsWith('MUST') || r.id.startsWith('MUST'));
    expect(mustFailures.map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
  }, 60_000);
});
