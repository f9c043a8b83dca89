import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

/** HTTP serves queries and mutations; a subscription sent there is refused with where to send it instead. */
export function noSubscriptionsOverHttp(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation !== 'subscription') return;
      context.reportError(
        new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, protocol graphql-transport-ws) at this same URL, not over HTTP.', {
          nodes: [node],
        }),
      );
    },
  };
}
