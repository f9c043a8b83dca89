import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../common/logger.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Metrics } from './metrics.js';

/**
 * Each GraphQL request over HTTP, once answered: counted and timed by operation name and outcome code (OK, or the
 * first error's `extensions.code`), and logged with the operation, duration, key id and outcome.
 */
export function observeGraphqlRequests(metrics: Metrics | null, logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName: resolvedName, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const resultErrors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const first = resultErrors?.length ? resultErrors[0] : errors?.[0];
          const code = String(first?.extensions?.code ?? (first ? 'INTERNAL_SERVER_ERROR' : 'OK'));
          // A document that did not validate has no resolved name: the one the client gave, or its first words.
          const operationName = resolvedName ?? operationNameOf(request);
          const operation = metrics?.operationLabel(operationName) ?? operationName ?? 'anonymous';
          metrics?.graphqlRequests.inc({ operation, code });
          metrics?.graphqlDuration.observe({ operation }, seconds);
          logger.info('graphql request', { operation: operationName ?? null, duration_ms: Math.round(seconds * 1000), key_id: contextValue.caller?.keyId ?? null, outcome: code });
        },
      };
    },
  };
}

/** The operation's name as the client gave it, or as its document starts (`query Name ...`), unparsed. */
export function operationNameOf(body: unknown): string | null {
  const { operationName, query } = (body ?? {}) as { operationName?: unknown; query?: unknown };
  if (typeof operationName === 'string') return operationName;
  return typeof query === 'string' ? (/^\s*(?:query|mutation|subscription)\s+([A-Za-z_]\w*)/.exec(query)?.[1] ?? null) : null;
}
