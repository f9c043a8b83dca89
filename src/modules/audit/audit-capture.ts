import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { defaultFieldResolver, Kind, type GraphQLFieldResolver, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { claimedKeyId, type ApiKeyService, type Caller } from '../auth/api-key.service.js';
import type { AuditService } from './audit.service.js';
import { errorCodeOf, mutationTargets, type AuditActorValue } from './audit-entry.js';
import { runInAuditScope, type AuditScope } from './audit-scope.js';

/**
 * The peer's address, stamped on each request before anything reads it (a value the client sent
 * under this name is overwritten), so the plugin can read it from the headers Apollo hands over.
 */
export const CLIENT_ADDRESS_HEADER = 'x-service-monitor-client-address';

/** What one request's mutations are recorded with. */
interface RequestAudit {
  actor: AuditActorValue;
  clientAddress: string | null;
  operationName: string | null;
  mutation: OperationDefinitionNode | null;
  executed: boolean;
}

const requests = new WeakMap<object, RequestAudit>();
const wrapped = Symbol('audited');

export const actorOf = (caller: Caller): AuditActorValue => ({ type: 'api_key', key_id: caller.keyId, name: caller.name ?? null, role: caller.role });

/**
 * Records every mutation in the audit log: each root field once it has settled (its arguments,
 * redacted; what it acted on; its outcome or error code), with the caller's key, the operation's
 * name and the client's address. A mutation refused before it ran (too complex, out of time) is
 * recorded with the refusal's code. Requests refused for their key (401) are counted as failed
 * authentications. Recording only queues: it never slows or fails the request.
 *
 * Mutation resolvers run inside an audit scope, so what they cause elsewhere (a recovery's events)
 * is recorded as done for that key, not by the server on its own.
 */
export function auditCapture(audit: AuditService, apiKeys: ApiKeyService, httpServer: Server): ApolloServerPlugin<GraphQLContext> {
  watchRefusals(httpServer, audit, apiKeys);
  return {
    async serverWillStart({ schema }) {
      wrapMutations(schema, audit);
    },
    async requestDidStart({ request, contextValue }) {
      if (!contextValue?.caller) return;
      const call: RequestAudit = {
        actor: actorOf(contextValue.caller),
        clientAddress: request.http?.headers.get(CLIENT_ADDRESS_HEADER) || null,
        operationName: request.operationName ?? null,
        mutation: null,
        executed: false,
      };
      requests.set(contextValue, call);
      return {
        async didResolveOperation({ operation }) {
          call.operationName = operation?.name?.value ?? call.operationName;
          if (operation?.operation === 'mutation') call.mutation = operation;
        },
        async executionDidStart() {
          call.executed = true;
        },
        async willSendResponse({ response }) {
          if (!call.mutation || call.executed) return;
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.find((e) => typeof e.extensions?.code === 'string')?.extensions?.code as string | undefined;
          for (const selection of call.mutation.selectionSet.selections) {
            if (selection.kind !== Kind.FIELD) continue;
            audit.record({
              actor: call.actor,
              channel: 'http',
              clientAddress: call.clientAddress,
              operationName: call.operationName,
              operation: selection.name.value,
              arguments: request.variables ?? undefined,
              outcome: 'failure',
              errorCode: code ?? 'BAD_REQUEST',
              message: 'refused before it ran',
            });
          }
        },
      };
    },
  };
}

/** Wraps each root mutation field's resolver: runs it in the caller's audit scope, records how it ended. */
function wrapMutations(schema: GraphQLSchema, audit: AuditService): void {
  const mutation = schema.getMutationType();
  if (!mutation) return;
  for (const field of Object.values(mutation.getFields())) {
    const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, unknown> & { [wrapped]?: true };
    if (resolve[wrapped]) continue;
    const audited: GraphQLFieldResolver<unknown, unknown> & { [wrapped]?: true } = (source, args, context, info) => {
      const call = requests.get(context as object);
      if (!call) return resolve(source, args, context, info);
      const at = new Date();
      const scope: AuditScope = { actor: call.actor, channel: 'http', clientAddress: call.clientAddress, operationName: call.operationName };
      const done = (error: unknown, result?: unknown) =>
        audit.record({
          at,
          actor: call.actor,
          channel: 'http',
          clientAddress: call.clientAddress,
          operationName: call.operationName,
          operation: info.fieldName,
          arguments: args,
          targets: () => mutationTargets(info.fieldName, args, result),
          outcome: error === undefined ? 'success' : 'failure',
          errorCode: error === undefined ? null : errorCodeOf(error),
        });
      let result: unknown;
      try {
        result = runInAuditScope(scope, () => resolve(source, args, context, info));
      } catch (error) {
        done(error);
        throw error;
      }
      if (isThenable(result)) result.then((value) => done(undefined, value), (error: unknown) => done(error));
      else done(undefined, result);
      return result;
    };
    audited[wrapped] = true;
    field.resolve = audited;
  }
}

/** Stamps each request with its peer's address; counts requests to /graphql answered 401 as failed authentications. */
function watchRefusals(httpServer: Server, audit: AuditService, apiKeys: ApiKeyService): void {
  httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const address = req.socket.remoteAddress ?? null;
    // Read now: Express rewrites req.url to the part below its mount point while it handles the request.
    const path = req.url ?? '';
    req.headers[CLIENT_ADDRESS_HEADER] = address ?? '';
    res.once('finish', () => {
      if (res.statusCode !== 401 || !path.startsWith('/graphql')) return;
      const token = bearerToken(req.headers.authorization);
      audit.authFailed({
        channel: 'http',
        address,
        claimedKeyId: token ? claimedKeyId(token) : null,
        reason: () => apiKeys.refusalReason(token),
      });
    });
  });
}

/** A WebSocket refused for its key (4401, 4403): counted as a failed authentication of its peer. */
export function recordRefusedSocket(audit: AuditService, apiKeys: ApiKeyService, request: IncomingMessage, token: string | null): void {
  audit.authFailed({
    channel: 'socket',
    address: request.socket.remoteAddress ?? null,
    claimedKeyId: token ? claimedKeyId(token) : null,
    reason: () => apiKeys.refusalReason(token),
  });
}

export function bearerToken(authorization: string | undefined): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? null;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
