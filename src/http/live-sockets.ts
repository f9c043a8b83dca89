import type { IncomingMessage, Server } from 'node:http';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../common/logger.js';
import type { GraphQLContext } from '../graphql/context.js';
import { formatErrorFor } from '../graphql/errors.js';
import { complexityError, depthLimit } from '../graphql/limits.js';
import { createLoaders } from '../graphql/loaders.js';
import type { ApiKeyService, Caller } from '../modules/auth/api-key.service.js';
import type { CheckEngine } from '../modules/checks/engine.js';
import type { Domain } from '../modules/domain.js';
import type { DashboardFeed } from '../modules/live/dashboard-feed.js';
import { SendBudget } from '../modules/live/event-stream.js';
import type { LiveHub } from '../modules/live/live-hub.js';
import type { LiveReplay } from '../modules/live/replay.js';
import { sharedSubscribe, type SharedExecutionStats } from '../modules/live/shared-execution.js';

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
  maxDepth: number;
  maxComplexity: number;
  /** A socket that has not answered a ping within this long is dropped. */
  keepAliveMs: number;
  /** Events one connection may have waiting to be sent before it is dropped as too slow. */
  maxQueuedEvents: number;
}

export interface LiveSockets {
  readonly stats: SharedExecutionStats;
  connections(): number;
  /** Closes every socket (1001 going away) and stops accepting new ones. */
  stop(): Promise<void>;
}

interface Connection extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  request: IncomingMessage;
  caller?: Caller;
  budget?: SendBudget;
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
 * same depth and complexity limits as HTTP.
 */
export function startLiveSockets(options: LiveSocketOptions): LiveSockets {
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: MAX_MESSAGE_BYTES });
  const connections = new Map<WebSocket, Connection>();
  const stats: SharedExecutionStats = { deliveries: 0, executions: 0 };
  const formatError = formatErrorFor(options.logger);
  const rules = [...specifiedRules, depthLimit(options.maxDepth)];

  const subscribe = sharedSubscribe(
    (args) => (args.contextValue as GraphQLContext).caller.role,
    (context) => withFreshLoaders(context as GraphQLContext, options.domain),
    stats,
  );

  const server = useServer<Record<string, unknown> | undefined, Connection>(
    {
      schema: options.schema,
      subscribe,
      onConnect: async (ctx) => {
        const token = tokenFrom(ctx.connectionParams);
        if (!token) {
          ctx.extra.socket.close(LIVE_CLOSE.Unauthorized, 'Unauthorized: send { authorization: "Bearer <key>" } in connection_init');
          return false;
        }
        let caller: Caller | null;
        try {
          caller = await options.apiKeys.authenticate(token);
        } catch (error) {
          options.logger.error('live connection: the API key could not be checked', { reason: (error as Error).message });
          ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
          return false;
        }
        // Closed while the key was being checked: graphql-ws has already said goodbye to it.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        if (!caller) {
          ctx.extra.socket.close(LIVE_CLOSE.Forbidden, 'Forbidden: the API key is not valid, or has been revoked');
          return false;
        }
        ctx.extra.caller = caller;
        ctx.extra.budget = new SendBudget(options.maxQueuedEvents, () => ctx.extra.socket.close(LIVE_CLOSE.TooSlow, 'Too slow: send queue full'));
        connections.set(ctx.extra.socket, ctx.extra);
        return true;
      },
      onSubscribe: (ctx, _id, payload) => executionArgs(ctx, payload),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
      onDisconnect: (ctx) => void connections.delete(ctx.extra.socket),
      onClose: (ctx) => void connections.delete(ctx.extra.socket),
    },
    wss,
    // graphql-ws pings every keepAliveMs and drops a socket that has not answered the previous ping.
    options.keepAliveMs,
  );

  function executionArgs(
    ctx: Context<Record<string, unknown> | undefined, Connection>,
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  ): ExecutionArgs | readonly GraphQLError[] {
    // graphql-ws has already registered this one.
    if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return [new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection; complete some first.`, { extensions: { code: 'BAD_REQUEST' } })];
    }
    let document;
    try {
      document = parse(payload.query);
    } catch (error) {
      return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
    }
    const errors = validate(options.schema, document, rules);
    if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, payload.operationName);
    if (operation && operation.operation !== 'subscription') {
      return [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP to this same URL.', { extensions: { code: 'BAD_REQUEST' } })];
    }
    const tooComplex = complexityError(options.schema, document, payload.operationName, payload.variables, options.maxComplexity);
    if (tooComplex) return [tooComplex];
    const contextValue = withFreshLoaders(
      { domain: options.domain, apiKeys: options.apiKeys, engine: options.engine, caller: ctx.extra.caller!, live: { ...options.live, budget: ctx.extra.budget! } },
      options.domain,
    );
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
    async stop() {
      stopRevocations();
      clearInterval(recheckKeys);
      // Terminated first: a graceful close waits for each client's reply (up to 30 s) and would hold up shutdown.
      for (const socket of wss.clients) socket.terminate();
      await server.dispose();
    },
  };
}

/**
 * A context whose batching loaders are made on first use: a subscription's own
 * context never needs them (each event gets its own), queries sent over the
 * socket do.
 */
function withFreshLoaders(context: Omit<GraphQLContext, 'loaders'>, domain: Domain): GraphQLContext {
  let loaders: GraphQLContext['loaders'] | undefined;
  const { apiKeys, engine, caller, live } = context;
  return {
    domain,
    apiKeys,
    engine,
    caller,
    live,
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

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });
}
