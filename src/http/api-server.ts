import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../common/logger.js';
import { auditCapture } from '../modules/audit/audit-capture.js';
import type { ApiKeyService } from '../modules/auth/api-key.service.js';
import type { CheckEngine } from '../modules/checks/engine.js';
import type { Domain } from '../modules/domain.js';
import type { GraphQLContext } from '../graphql/context.js';
import { formatErrorFor } from '../graphql/errors.js';
import { legacyJsonStatus } from '../graphql/http-status.js';
import { complexityLimit, DEFAULT_QUERY_LIMITS, deadlineIn, documentTooLong, enforceDeadlines, limitRules, oneTimeoutErrorPerResponse, parseOptionsFor, type QueryLimits } from '../graphql/limits.js';
import { createLoaders } from '../graphql/loaders.js';
import { buildApiSchema } from '../graphql/schema.js';
import { noSubscriptionsOverHttp } from '../graphql/subscriptions-over-http.js';
import { observeGraphqlRequests, operationNameOf } from '../observability/graphql-requests.js';
import type { Metrics } from '../observability/metrics.js';
import { pingRoutes } from '../modules/heartbeats/ping-route.js';
import { statusPageRoutes } from '../modules/status-page/status-page-route.js';
import { serveGraphqlIde } from './graphql-ide.js';
import { KeyLimiter, type KeyLimits } from './key-limiter.js';
import { answerMetrics } from './metrics-endpoint.js';
import { startLiveSockets, type LiveServices, type LiveSockets } from './live-sockets.js';

/** One thing that keeps the process from doing its work; /readyz lists them with its 503. */
export interface ReadinessProblem {
  component: string;
  reason: string;
  [detail: string]: unknown;
}

export interface ApiServerOptions {
  port: number;
  host?: string;
  domain: Domain;
  apiKeys: ApiKeyService;
  /** Runs on-demand checks and recoveries. */
  engine: CheckEngine;
  /** Resolves when the database answers; rejects otherwise (for /readyz). */
  pingDatabase: () => Promise<void>;
  /** Anything else that keeps this process from doing its work now (the scheduler stalled, the embedded database restarting), for /readyz. */
  readiness?: () => ReadinessProblem[];
  logger: Logger;
  /** What one operation may ask for, over HTTP and the socket alike; unset ones are DEFAULT_QUERY_LIMITS'. */
  limits?: Partial<QueryLimits>;
  /** Per API key, over HTTP and the socket together; unset ones are DEFAULT_KEY_LIMITS'. */
  keyLimits?: Partial<KeyLimits>;
  shutdownTimeoutMs: number;
  /** Serves GraphQL subscriptions (graphql-ws) on /graphql when given. */
  live?: { services: LiveServices; keepAliveMs: number; maxQueuedEvents: number };
  /** Counts requests; with a token, also serves them at /metrics for that bearer token. */
  metrics?: { metrics: Metrics; token: string | null };
  /** GET /graphql from a browser serves GraphiQL (GRAPHQL_IDE). */
  ide?: boolean;
  /** PUBLIC_URL: where this server is reached, for the URLs it hands out; else the address a request came to. */
  publicUrl?: string;
}

export interface ApiServer {
  readonly url: string;
  readonly httpServer: Server;
  readonly schema: GraphQLSchema;
  /** The WebSocket side, when live is on. */
  readonly sockets: LiveSockets | null;
  /** The per-key limits, shared by HTTP and the socket. */
  readonly keyLimiter: KeyLimiter;
  /**
   * Stops taking connections, lets every request in flight finish (up to the shutdown timeout; only
   * then are the ones left cut), then closes. Keep-alive connections close after their response.
   */
  stop(): Promise<void>;
}

/** The HTTP process: /graphql (Apollo on Express; graphql-ws on the same path), /healthz, /readyz. */
export const DEFAULT_KEY_LIMITS: KeyLimits = { requestsPerSecond: 50, concurrent: 10 };

/** How long a draining server waits with nothing in flight and nothing arriving before it closes what is left. */
const DRAIN_QUIET_MS = 250;

/** Set on the context once the key is admitted; returns the key's place when the operation is done. */
const releaseOf = new WeakMap<object, () => void>();
/** Contexts whose operation Apollo took up (so its end, not the client's hanging up, frees the key's place). */
const operationStarted = new WeakSet<object>();

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const schema = await buildApiSchema();
  enforceDeadlines(schema);
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...definedOnly(options.limits) };
  const keyLimiter = new KeyLimiter({ ...DEFAULT_KEY_LIMITS, ...definedOnly(options.keyLimits) });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const requests = trackRequests(httpServer);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    parseOptions: parseOptionsFor(limits),
    validationRules: [...limitRules(limits), noSubscriptionsOverHttp],
    // Turned off (GRAPHQL_INTROSPECTION=false) by limitRules, with the same rule and message as on the socket.
    introspection: true,
    formatError: formatErrorFor(options.logger),
    includeStacktraceInErrorResponses: false,
    // Draining is ours (stop() below): Apollo's drain plugin ended connections whose request was not parsed yet.
    plugins: [
      complexityLimit(schema, limits.maxComplexity),
      oneTimeoutErrorPerResponse(),
      releaseKeyWhenAnswered(),
      auditCapture(options.domain.audit, options.apiKeys, httpServer),
      legacyJsonStatus(),
      observeGraphqlRequests(options.metrics?.metrics ?? null, options.logger.child({ component: 'graphql' })),
      // Apollo's landing page loads its IDE from a CDN; ours (GRAPHQL_IDE) is served from this process.
      ApolloServerPluginLandingPageDisabled(),
    ],
    // Keys travel in the Authorization header, which a cross-site browser request cannot add without a
    // CORS preflight, so Apollo's CSRF guard (which also refuses plain GET queries) protects nothing here.
    csrfPrevention: false,
    // The process stops its parts in order on SIGTERM/SIGINT (main.ts); Apollo's own handler would race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: can this process do its work now? 503 names each reason; /healthz stays the liveness probe.
  app.get('/readyz', async (_req, res) => {
    const problems: ReadinessProblem[] = [];
    try {
      await options.pingDatabase();
    } catch (error) {
      problems.push({ component: 'database', reason: `unreachable (${firstLine(error)})` });
    }
    problems.push(...(options.readiness?.() ?? []));
    if (problems.length === 0) {
      res.json({ status: 'ready' });
      return;
    }
    res.status(503).json({ status: 'unavailable', reason: problems.map((p) => `${p.component}: ${p.reason}`).join('; '), problems });
  });
  const metrics = options.metrics;
  if (metrics?.token) {
    const token = metrics.token;
    app.get('/metrics', async (req, res) => {
      const answer = await answerMetrics(metrics.metrics.registry, req.headers.authorization, token);
      res.status(answer.status).set({ 'content-type': answer.contentType, ...answer.headers }).send(answer.body);
    });
  }
  if (options.ide) serveGraphqlIde(app);
  app.use(pingRoutes(options.domain.heartbeats, options.engine, options.logger.child({ component: 'heartbeat' })));
  app.use(
    '/graphql',
    countRefusedRequests(metrics?.metrics ?? null),
    express.json({ limit: '1mb' }),
    refuseLongDocuments(limits),
    expressMiddleware(apollo, { context: ({ req, res }) => contextFor(req.headers.authorization, options, keyLimiter, limits, res) }),
  );

  app.use(statusPageRoutes(options.domain.environments, options.logger.child({ component: 'status-page' })));
  app.use(requestErrorHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const sockets = options.live
    ? startLiveSockets({
        httpServer,
        path: '/graphql',
        schema,
        domain: options.domain,
        apiKeys: options.apiKeys,
        engine: options.engine,
        live: options.live.services,
        logger: options.logger,
        limits,
        keyLimiter,
        keepAliveMs: options.live.keepAliveMs,
        maxQueuedEvents: options.live.maxQueuedEvents,
      })
    : null;
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    httpServer,
    schema,
    sockets,
    keyLimiter,
    async stop() {
      requests.draining = true;
      // Stop accepting connections but leave the open ones be (http.Server#close would also close the idle
      // ones at once): closing a connection between two requests races a client sending its next request on
      // it, which is then cut (ECONNRESET). Each answers once more, with Connection: close.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(httpServer, () => resolve()));
      await sockets?.stop();
      const deadline = Date.now() + options.shutdownTimeoutMs;
      // Done once nothing is in flight and nothing came for a moment: a keep-alive client between two requests is
      // about to send its next one, which is answered (Connection: close) rather than cut by closing its connection.
      const drained = () => requests.inFlight === 0 && Date.now() - requests.lastActivity >= DRAIN_QUIET_MS;
      while (!drained() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      if (requests.inFlight > 0) options.logger.warn('shutdown timeout reached: cutting requests still in flight', { inFlight: requests.inFlight, timeoutMs: options.shutdownTimeoutMs });
      httpServer.closeAllConnections();
      await closed;
      await apollo.stop();
    },
  };
}

/**
 * Counts requests from arrival to their response's end. Once draining, every response not yet begun
 * closes its connection (`Connection: close`), so no client sends another request on a connection the
 * server is about to close (the keep-alive race that cut requests with ECONNRESET).
 */
function trackRequests(httpServer: Server): { readonly inFlight: number; readonly lastActivity: number; draining: boolean } {
  const open = new Set<ServerResponse>();
  let draining = false;
  let lastActivity = 0;
  httpServer.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    lastActivity = Date.now();
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      open.delete(res);
      lastActivity = Date.now();
    });
  });
  return {
    get inFlight() {
      return open.size;
    },
    get lastActivity() {
      return lastActivity;
    },
    get draining() {
      return draining;
    },
    set draining(value: boolean) {
      draining = value;
      if (value) for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
    },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * Every request needs a valid API key; the role decides what it may do (see the auth checker). The key's
 * rate and concurrency limits are checked here, before the document is even parsed (429 with Retry-After).
 */
async function contextFor(
  authorization: string | undefined,
  options: ApiServerOptions,
  keyLimiter: KeyLimiter,
  limits: QueryLimits,
  res: ServerResponse,
): Promise<GraphQLContext> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) throw unauthenticated('Send an API key as `Authorization: Bearer <key>`.');
  const caller = await options.apiKeys.authenticate(token);
  if (!caller) throw unauthenticated('The API key is not valid, or has been revoked.');
  const admission = await keyLimiter.admit(caller.keyId);
  if (!admission.admitted) throw admission.error;
  // Released once Apollo has answered (releaseKeyWhenAnswered), not when the client goes away: a client that
  // hangs up does not stop the work, so it must not free the place. A request Apollo refuses before running
  // it (a batch, no query) frees it when its response ends; should Apollo never answer, it is freed well
  // after the operation's deadline.
  const safety = setTimeout(admission.release, limits.timeoutMs + 60_000);
  safety.unref();
  const release = () => {
    clearTimeout(safety);
    admission.release();
  };
  res.once('close', () => {
    if (!operationStarted.has(context)) release();
  });
  const context: GraphQLContext = {
    domain: options.domain,
    apiKeys: options.apiKeys,
    engine: options.engine,
    caller,
    loaders: createLoaders(options.domain),
    deadline: deadlineIn(limits.timeoutMs),
    origin: options.publicUrl ?? originOf(res.req),
  };
  releaseOf.set(context, release);
  return context;
}

/** An operation's place among its key's concurrent ones is free once its answer is ready, whatever became of it. */
function releaseKeyWhenAnswered(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      operationStarted.add(contextValue);
      return {
        async willSendResponse({ contextValue }) {
          releaseOf.get(contextValue)?.();
        },
      };
    },
  };
}

/** The address a request came to, as its client wrote it (the Host header; https when the socket is TLS). */
function originOf(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host)) return undefined;
  return `${'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http'}://${host}`;
}

function definedOnly<T extends object>(values: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Requests refused before Apollo takes them up (no key, over the key's rate) are counted here. */
function countRefusedRequests(metrics: Metrics | null): express.RequestHandler {
  const refused: Record<number, string> = { 401: 'UNAUTHENTICATED', 429: 'RATE_LIMITED' };
  return (req, res, next) => {
    if (metrics) {
      res.once('finish', () => {
        const code = refused[res.statusCode];
        if (code) metrics.graphqlRequests.inc({ operation: metrics.operationLabel(operationNameOf(req.body)), code });
      });
    }
    next();
  };
}

/** A document past GRAPHQL_MAX_DOCUMENT_CHARS is answered here, before Apollo hashes and parses it. */
function refuseLongDocuments(limits: QueryLimits): express.RequestHandler {
  return (req, res, next) => {
    const error = documentTooLong((req.body as { query?: unknown } | undefined)?.query, limits);
    if (!error) return next();
    res.status(400).json({ errors: [{ message: error.message, extensions: { code: error.extensions.code } }] });
  };
}

/** Bodies Express could not read (bad JSON, too large) get a GraphQL-shaped error, never its HTML page with a stack. */
const requestErrorHandler: express.ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, _next) => {
  const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
  const message =
    error.type === 'entity.parse.failed'
      ? 'The request body is not valid JSON.'
      : status === 413
        ? 'The request body is too large (at most 1 MB).'
        : status < 500
          ? 'The request could not be read.'
          : 'Internal server error';
  res.status(status).json({ errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
};

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}
