import type { IncomingMessage, Server } from 'node:http';
import { getOperationAST, getVariableValues, GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { oneLine, throttledLog } from '../common/log-throttle.js';
import type { Logger } from '../common/logger.js';
import type { GraphQLContext } from '../graphql/context.js';
import { formatErrorFor } from '../graphql/errors.js';
import { complexityError, deadlineIn, documentTooLong, limitRules, parseOptionsFor, withOneTimeoutError, type QueryLimits } from '../graphql/limits.js';
import { createLoaders } from '../graphql/loaders.js';
import { recordRefusedSocket } from '../modules/audit/audit-capture.js';
import type { ApiKeyService, Caller } from '../modules/auth/api-key.service.js';
import type { CheckEngine } from '../modules/checks/engine.js';
import type { Domain } from '../modules/domain.js';
import type { DashboardFeed } from '../modules/live/dashboard-feed.js';
import { SendBudget } from '../modules/live/event-stream.js';
import type { LiveHub } from '../modules/live/live-hub.js';
import type { LiveReplay } from '../modules/live/replay.js';
import { sharedSubscribe, type SharedExecutionStats } from '../modules/live/shared-execution.js';
import type { KeyLimiter } from './key-limiter.js';

export interface LiveServices {
  hub: LiveHub;
  replay: LiveReplay;
  dashboard: DashboardFeed;
}

export interface LiveSocketOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  domain: Domain;
  apiKeys: ApiKeyService;
  engine: CheckEngine;
  live: LiveServices;
  logger: Logger;
  /** The same limits as HTTP's. */
  limits: QueryLimits;
  /** Shared with HTTP: a key's subscriptions and requests count together. */
  keyLimiter: KeyLimiter;
  /** A socket that has not answered a ping within this long is dropped. */
  keepAliveMs: number;
  /** Events one connection may have waiting to be sent before it is dropped as too slow. */
  maxQueuedEvents: number;
}

export interface LiveSockets {
  readonly stats: SharedExecutionStats;
  connections(): number;
  /** Subscriptions running and events waiting to be sent, over every connection (for /metrics). */
  load(): { subscriptions: number; queuedEvents: number };
  /** Closes every socket (1001 going away) and stops accepting new ones. */
  stop(): Promise<void>;
}

interface Connection extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  request: IncomingMessage;
  caller?: Caller;
  budget?: SendBudget;
  /** graphql-ws's own record of the socket's running subscriptions. */
  subscriptions?: Readonly<Record<string, unknown>>;
  /** Why this socket is being closed, when it is for a failure of ours (logged with its close). */
  problem?: string;
}

/** Close codes beyond graphql-ws's own: a slow consumer, a revoked key. */
export const LIVE_CLOSE = { Unauthorized: CloseCode.Unauthorized, Forbidden: CloseCode.Forbidden, TooSlow: 4413 } as const;

// Messages are small GraphQL documents; the same cap as an HTTP body.
const MAX_MESSAGE_BYTES = 1024 * 1024;
// A dashboard holds a handful; the cap keeps one connection from holding thousands of queues and listeners.
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

/**
 * graphql-ws (protocol graphql-transport-ws) on the API's own port and path.
 * The API key comes in `connection_init` (`{ authorization: "Bearer <key>" }`
 * or `{ apiKey }`): none closes with 4401, a bad or revoked one with 4403, and
 * revoking a key later closes its sockets (4403) on every process. Sockets are
 * pinged; one that misses a pong is dropped. A client too slow to take its
 * events is dropped (4413) rather than queued for without bound. Only
 * subscriptions are taken here (queries and mutations go over HTTP), under the
 * same limits as HTTP: tokens, depth, aliases, directives, complexity, the
 * per-event time limit and the key's rate and concurrency (RATE_LIMITED, with
 * `extensions.retryAfter`). A socket refused or failed (no key, a bad key, a
 * message too large, an error of ours) logs one line, at most 20 a minute, never
 * a stack.
 */
export function startLiveSockets(options: LiveSocketOptions): LiveSockets {
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const connections = new Map<WebSocket, Connection>();
  const stats: SharedExecutionStats = { deliveries: 0, executions: 0 };
  const formatError = formatErrorFor(options.logger);
  const rules = [...specifiedRules, ...limitRules(options.limits)];
  const parseOptions = parseOptionsFor(options.limits);
  const socketLog = throttledLog(options.logger, 'live sockets');
  // An operation's place among its key's concurrent ones, freed once its subscription is set up.
  const releaseOf = new WeakMap<object, () => void>();

  const shared = sharedSubscribe(
    (args) => (args.contextValue as GraphQLContext).caller.role,
    (context) => withFreshLoaders(context as GraphQLContext, options.domain, options.limits.timeoutMs),
    stats,
  );
  const subscribe = async (args: ExecutionArgs) => {
    try {
      return await shared(args);
    } finally {
      releaseOf.get(args.contextValue as object)?.();
    }
  };

  const server = makeServer<Record<string, unknown> | undefined, Connection>({
    schema: options.schema,
    subscribe,
    onConnect: async (ctx) => {
      const token = tokenFrom(ctx.connectionParams);
      if (!token) {
        recordRefusedSocket(options.domain.audit, options.apiKeys, ctx.extra.request, null);
        ctx.extra.socket.close(LIVE_CLOSE.Unauthorized, 'Unauthorized: send { authorization: "Bearer <key>" } in connection_init');
        return false;
      }
      let caller: Caller | null;
      try {
        caller = await options.apiKeys.authenticate(token);
      } catch (error) {
        ctx.extra.problem = `the API key could not be checked (${oneLine(error)})`;
        ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
        return false;
      }
      // Closed while the key was being checked: graphql-ws has already said goodbye to it.
      if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
      if (!caller) {
        recordRefusedSocket(options.domain.audit, options.apiKeys, ctx.extra.request, token);
        ctx.extra.socket.close(LIVE_CLOSE.Forbidden, 'Forbidden: the API key is not valid, or has been revoked');
        return false;
      }
      ctx.extra.caller = caller;
      ctx.extra.budget = new SendBudget(options.maxQueuedEvents, () => ctx.extra.socket.close(LIVE_CLOSE.TooSlow, 'Too slow: send queue full'));
      ctx.extra.subscriptions = ctx.subscriptions;
      connections.set(ctx.extra.socket, ctx.extra);
      return true;
    },
    onSubscribe: (ctx, _id, payload) => executionArgs(ctx, payload),
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: withOneTimeoutError(result.errors.map((error) => formatError(error.toJSON(), error))) } : undefined,
    onDisconnect: (ctx) => void connections.delete(ctx.extra.socket),
    onClose: (ctx) => void connections.delete(ctx.extra.socket),
  });

  // graphql-ws's own `useServer` for ws, but logging one line per failed socket (it prints each error's stack).
  wss.on('error', (error) => options.logger.error('live sockets: the WebSocket server failed', { reason: oneLine(error) }));
  wss.on('connection', (socket, request) => {
    const extra: Connection = { socket, request };
    socket.once('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for a message too large, 1002 for a protocol error).
      extra.problem = error.code ? `${oneLine(error)} (${error.code})` : oneLine(error);
      if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    // Pinged every keep-alive period; one that has not answered the previous ping by the next is dropped.
    let awaitingPong = false;
    socket.on('pong', () => (awaitingPong = false));
    const keepAlive = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (awaitingPong) {
        socket.terminate();
        return;
      }
      awaitingPong = true;
      socket.ping();
    }, options.keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (message) => {
            try {
              await handle(String(message));
            } catch (error) {
              extra.problem = `a message could not be handled (${oneLine(error)})`;
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      const refused = extra.problem !== undefined || REFUSALS.has(code);
      if (refused) {
        socketLog.warn(`live socket closed: ${extra.problem ?? (String(reason) || `code ${code}`)}`, {
          code,
          remote: request.socket.remoteAddress,
          ...(extra.caller ? { keyId: extra.caller.keyId } : {}),
        });
      }
      void closed(code, String(reason));
    });
  });

  async function executionArgs(
    ctx: Context<Record<string, unknown> | undefined, Connection>,
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    // graphql-ws has already registered this one.
    if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return [new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection; complete some first.`, { extensions: { code: 'BAD_REQUEST' } })];
    }
    // As over HTTP, the key's rate and concurrency are checked before the document is even parsed.
    const admission = await options.keyLimiter.admit(ctx.extra.caller!.keyId);
    if (!admission.admitted) return [forClient(admission.error)];
    const refuse = (errors: readonly GraphQLError[]) => {
      admission.release();
      return errors;
    };
    const tooLong = documentTooLong(payload.query, options.limits);
    if (tooLong) return refuse([tooLong]);
    let document;
    try {
      document = parse(payload.query, parseOptions);
    } catch (error) {
      return refuse([withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')]);
    }
    const errors = validate(options.schema, document, rules);
    if (errors.length > 0) return refuse(errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')));
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) {
      return refuse([new GraphQLError('Name the operation to run (operationName): the document has several, or none by that name.', { extensions: { code: 'BAD_REQUEST' } })]);
    }
    if (operation.operation !== 'subscription') {
      return refuse([new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP to this same URL.', { extensions: { code: 'BAD_REQUEST' } })]);
    }
    // Variables are coerced here, as Apollo does over HTTP, so values that do not fit their types are refused as
    // bad input (graphql-js's own errors for them carry no code, and would reach the client as internal ones).
    const coerced = getVariableValues(options.schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 50 });
    if (coerced.errors) return refuse(coerced.errors.map((error) => withCode(error, 'BAD_USER_INPUT')));
    const tooComplex = complexityError(options.schema, document, payload.operationName, payload.variables, options.limits.maxComplexity);
    if (tooComplex) return refuse([forClient(tooComplex)]);
    const contextValue = withFreshLoaders(
      { domain: options.domain, apiKeys: options.apiKeys, engine: options.engine, caller: ctx.extra.caller!, live: { ...options.live, budget: ctx.extra.budget! } },
      options.domain,
      options.limits.timeoutMs,
    );
    releaseOf.set(contextValue, admission.release);
    return { schema: options.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
  }

  const closeRevoked = (keyIds: ReadonlySet<string>) => {
    for (const connection of connections.values()) {
      if (connection.caller && keyIds.has(connection.caller.keyId)) connection.socket.close(LIVE_CLOSE.Forbidden, 'Forbidden: the API key has been revoked');
    }
  };
  const stopRevocations = options.live.hub.listen('apiKeyRevoked', (event) => closeRevoked(new Set([event.key_id])));
  // The revocation event may be lost (Redis down at that moment): the keys in use are checked again every keep-alive period.
  const recheckKeys = setInterval(() => {
    const keyIds = [...new Set([...connections.values()].flatMap((c) => (c.caller ? [c.caller.keyId] : [])))];
    if (keyIds.length === 0) return;
    options.apiKeys.unusable(keyIds).then(closeRevoked, (error: Error) => options.logger.warn('live: could not re-check API keys', { reason: error.message }));
  }, options.keepAliveMs);
  recheckKeys.unref();

  return {
    stats,
    connections: () => connections.size,
    load: () => {
      let subscriptions = 0;
      let queuedEvents = 0;
      for (const connection of connections.values()) {
        subscriptions += Object.keys(connection.subscriptions ?? {}).length;
        queuedEvents += connection.budget?.queuedNow ?? 0;
      }
      return { subscriptions, queuedEvents };
    },
    async stop() {
      stopRevocations();
      clearInterval(recheckKeys);
      // Terminated first: a graceful close waits for each client's reply (up to 30 s) and would hold up shutdown.
      for (const socket of wss.clients) socket.terminate();
      wss.removeAllListeners('connection');
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * A context whose batching loaders are made on first use: a subscription's own
 * context never needs them (each event gets its own), queries sent over the
 * socket do.
 */
function withFreshLoaders(context: Omit<GraphQLContext, 'loaders'>, domain: Domain, timeoutMs: number): GraphQLContext {
  let loaders: GraphQLContext['loaders'] | undefined;
  const { apiKeys, engine, caller, live } = context;
  return {
    domain,
    apiKeys,
    engine,
    caller,
    live,
    // Each execution (the subscription's set-up, then each event's) gets the whole time limit.
    deadline: deadlineIn(timeoutMs),
    get loaders() {
      return (loaders ??= createLoaders(domain));
    },
  };
}

function tokenFrom(params: Record<string, unknown> | undefined): string | null {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === 'string') return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null;
  return typeof params?.apiKey === 'string' ? params.apiKey : null;
}

/** Close codes that mean the server refused or dropped the socket (logged), as opposed to the client leaving. */
const REFUSALS = new Set<number>([
  CloseCode.BadRequest,
  CloseCode.Unauthorized,
  CloseCode.Forbidden,
  CloseCode.ConnectionInitialisationTimeout,
  CloseCode.TooManyInitialisationRequests,
  CloseCode.InternalServerError,
  LIVE_CLOSE.TooSlow,
  1009, // message too large
]);

/** What a client sees of one of our errors: its message and code (and when to retry), nothing of the server's. */
function forClient(error: GraphQLError): GraphQLError {
  const { code, retryAfter } = error.extensions as { code?: string; retryAfter?: number };
  return new GraphQLError(error.message, { extensions: { code, ...(retryAfter !== undefined ? { retryAfter } : {}) } });
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });
}
