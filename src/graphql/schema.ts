import { DateTimeResolver } from 'graphql-scalars';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { NotificationChannelResolver } from '../modules/alerting/channel.resolver.js';
import { EscalationPolicyResolver } from '../modules/alerting/escalation.resolver.js';
import { IncidentResolver } from '../modules/alerting/incident.resolver.js';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { ApiKeyResolver } from '../modules/auth/api-key.resolver.js';
import { CheckResolver } from '../modules/checks/check.resolver.js';
import { DashboardResolver } from '../modules/dashboard/dashboard.resolver.js';
import { EnvironmentResolver } from '../modules/environments/environment.resolver.js';
import { HistoryResolver } from '../modules/history/history.resolver.js';
import { HostResolver } from '../modules/hosts/host.resolver.js';
import { liveResolvers } from '../modules/live/live.resolver.js';
import { HeartbeatResolver } from '../modules/heartbeats/heartbeat.resolver.js';
import { InventoryResolver } from '../modules/inventory/inventory.resolver.js';
import { ImportJobResolver } from '../modules/migration/import-job.resolver.js';
import { ImportResolver } from '../modules/migration/import.resolver.js';
import { HealthCheckConfigResolver, MonitoringConfigResolver, ServiceResolver } from '../modules/services/service.resolver.js';
import { authChecker } from './auth-checker.js';

/** Every resolver of the API, registered in one place. */
export const resolvers = [
  IncidentResolver,
  NotificationChannelResolver,
  EscalationPolicyResolver,
  HostResolver,
  ServiceResolver,
  MonitoringConfigResolver,
  HealthCheckConfigResolver,
  HistoryResolver,
  EnvironmentResolver,
  DashboardResolver,
  ImportResolver,
  ImportJobResolver,
  InventoryResolver,
  ApiKeyResolver,
  AuditResolver,
  CheckResolver,
  HeartbeatResolver,
  ...liveResolvers,
] as const;

export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    // Input is validated by the domain layer (one set of rules for the API, the CLI and the engine).
    validate: false,
    // Every subscription brings its own `subscribe` (src/modules/live); type-graphql still insists on a pub/sub.
    pubSub: unusedPubSub,
  });
}

const unusedPubSub = {
  publish: () => {
    throw new Error('live events are published through the LiveHub');
  },
  subscribe: () => {
    throw new Error('subscriptions subscribe through the LiveHub');
  },
};

/** The SDL committed as schema/schema.graphql: sorted, so it only changes when the API does. */
export function printApiSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
