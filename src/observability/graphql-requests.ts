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
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const resultErrors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = String((errors ?? resultErrors)?.[0]?.extensions?.code ?? 'OK');
          const operation = metrics?.operationLabel(operationName) ?? operationName ?? 'anonymous';
          metrics?.graphqlRequests.inc({ operation, code });
          metrics?.graphqlDuration.observe({ operation }, seconds);
          logger.info('graphql request', { operation: operationName ?? null, duration_ms: Math.round(seconds * 1000), key_id: contextValue.caller?.keyId ?? null, outcome: code });
        },
      };
    },
  };
}
