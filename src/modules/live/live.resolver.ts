import { scrubCheckText } from '../history/history.resolver.js';
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, Resolver, Root, Subscription, type ClassType, type SubscribeResolverData } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import type { DashboardSummary } from '../dashboard/dashboard.service.js';
import { DashboardSummaryType, summaryForApi } from '../dashboard/dashboard.resolver.js';
import { MonitoringCheck } from '../history/history.model.js';
import { Host } from '../hosts/host.model.js';
import { Service } from '../services/service.model.js';
import { eventStream } from './event-stream.js';
import type { LiveConnection } from './live-connection.js';
import { Incident } from '../alerting/incident.model.js';
import { matchesServiceFilter, type HostChangeEvent as HostChange, type IncidentChangeEvent as IncidentChange, type LiveTopics, type ServiceChangeEvent as ServiceChange, type ServiceEventFilter } from './live-events.js';
import {
  CheckCompletedEvent,
  HostChangeEvent,
  IncidentChangeEvent,
  IncidentEventFilterInput,
  RecoveryEvent,
  ServiceChangeEvent,
  ServiceEventFilterInput,
  ServiceStatusChangeEvent,
  toServiceEventFilter,
} from './live.graphql.js';

type ServiceTopic = 'serviceStatusChanged' | 'checkCompleted' | 'recoveryEvent';
type Replayer<T extends ServiceTopic> = (live: LiveConnection, filter: ServiceEventFilter, since: Date) => Promise<LiveTopics[T][]>;
interface ServiceEventArgs {
  filter?: ServiceEventFilterInput | null;
  since?: Date | null;
}

const SINCE =
  'Also deliver, first, what was written at or after this instant (from history; pass the `at` of the last event seen: it comes again), then the live events, without duplicates.';

export function liveOf(context: GraphQLContext): LiveConnection {
  if (context.live) return context.live;
  throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, protocol graphql-transport-ws) at this same path.', {
    extensions: { code: 'BAD_REQUEST' },
  });
}

function serviceEvents<T extends ServiceTopic>(topic: T, replay: Replayer<T>) {
  return ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
    const live = liveOf(context);
    const { filter: input, since } = args as ServiceEventArgs;
    const filter = toServiceEventFilter(input);
    return eventStream<LiveTopics[T]>(
      {
        listen: (deliver) => live.hub.listen(topic, (event) => matchesServiceFilter(event, filter) && deliver(event)),
        before: since ? () => replay(live, filter, since) : undefined,
        idOf: (event) => event.id,
      },
      live.budget,
    );
  };
}

/** Live status for dashboards: every subscription needs a viewer key given in `connection_init`. */
@Resolver()
export class LiveResolver {
  @Authorized('viewer')
  @Subscription(() => ServiceStatusChangeEvent, {
    description: "A service's status changed, whichever process ran the check.",
    subscribe: serviceEvents('serviceStatusChanged', (live, filter, since) => live.replay.statusChanges(filter, since)),
  })
  serviceStatusChanged(
    @Root() event: ServiceStatusChangeEvent,
    @Arg('filter', () => ServiceEventFilterInput, { nullable: true }) _filter?: ServiceEventFilterInput,
    @Arg('since', () => Date, { nullable: true, description: SINCE }) _since?: Date,
  ): ServiceStatusChangeEvent {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => CheckCompletedEvent, {
    description: 'Every check result, for live charts.',
    subscribe: serviceEvents('checkCompleted', (live, filter, since) => live.replay.checks(filter, since)),
  })
  checkCompleted(
    @Root() event: CheckCompletedEvent,
    @Arg('filter', () => ServiceEventFilterInput, { nullable: true }) _filter?: ServiceEventFilterInput,
    @Arg('since', () => Date, { nullable: true, description: SINCE }) _since?: Date,
  ): CheckCompletedEvent {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => RecoveryEvent, {
    description: 'Recoveries attempted, succeeded, failed or given up (replay: the outcomes, not the attempts).',
    subscribe: serviceEvents('recoveryEvent', (live, filter, since) => live.replay.recoveries(filter, since)),
  })
  recoveryEvent(
    @Root() event: RecoveryEvent,
    @Arg('filter', () => ServiceEventFilterInput, { nullable: true }) _filter?: ServiceEventFilterInput,
    @Arg('since', () => Date, { nullable: true, description: SINCE }) _since?: Date,
  ): RecoveryEvent {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => HostChangeEvent, {
    description: 'Hosts created, updated or deleted, for live lists.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
      const live = liveOf(context);
      const { hostId } = args as { hostId?: string | null };
      return eventStream<HostChange>({ listen: (deliver) => live.hub.listen('hostChanged', (e) => (!hostId || e.host_id === hostId) && deliver(e)) }, live.budget);
    },
  })
  hostChanged(@Root() event: HostChangeEvent, @Arg('hostId', () => String, { nullable: true }) _hostId?: string): HostChangeEvent {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => ServiceChangeEvent, {
    description: 'Services created, updated or deleted, for live lists.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
      const live = liveOf(context);
      const { serviceId, hostId } = args as { serviceId?: string | null; hostId?: string | null };
      const wanted = (e: ServiceChange) => (!serviceId || e.service_id === serviceId) && (!hostId || e.host_id === hostId);
      return eventStream<ServiceChange>({ listen: (deliver) => live.hub.listen('serviceChanged', (e) => wanted(e) && deliver(e)) }, live.budget);
    },
  })
  serviceChanged(
    @Root() event: ServiceChangeEvent,
    @Arg('serviceId', () => String, { nullable: true }) _serviceId?: string,
    @Arg('hostId', () => String, { nullable: true }) _hostId?: string,
  ): ServiceChangeEvent {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => IncidentChangeEvent, {
    description: 'Incidents opening, acknowledged, noted, held back or let through, resolved, whichever process changed them.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
      const live = liveOf(context);
      const filter = (args as { filter?: IncidentEventFilterInput | null }).filter ?? {};
      const wanted = (e: IncidentChange) =>
        (!filter.states?.length || filter.states.includes(e.state)) &&
        (!filter.severity || e.severity === filter.severity) &&
        (!filter.environment || e.environment === filter.environment) &&
        (!filter.serviceId || e.service_id === filter.serviceId) &&
        (!filter.hostId || e.host_id === filter.hostId);
      return eventStream<IncidentChange>({ listen: (deliver) => live.hub.listen('incidentChanged', (e) => wanted(e) && deliver(e)) }, live.budget);
    },
  })
  incidentChanged(@Root() event: IncidentChangeEvent, @Arg('filter', () => IncidentEventFilterInput, { nullable: true }) _filter?: IncidentEventFilterInput): IncidentChangeEvent {
    return event;
  }

  @Authorized('viewer')
  @Subscription(() => DashboardSummaryType, {
    description: 'The dashboard summary: at once, then at most once a second when it changed.',
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
      const live = liveOf(context);
      return eventStream<DashboardSummary>({ listen: (deliver) => live.dashboard.listen((summary) => deliver(summaryForApi(summary))) }, live.budget);
    },
  })
  dashboardSummaryChanged(@Root() summary: DashboardSummary): DashboardSummary {
    return summary;
  }
}

/** `service` on an event: the service as it is now (null once deleted), batched per delivery. */
function withService<T extends { service_id: string }>(of: ClassType<T>) {
  @Resolver(() => of)
  class ServiceOfEvent {
    @Authorized('viewer')
    @FieldResolver(() => Service, { nullable: true, description: 'The service as it is now; null once deleted.' })
    service(@Root() event: T, @Ctx() { loaders }: GraphQLContext): Promise<Service | null> {
      return loaders.serviceById.load(event.service_id);
    }
  }
  return ServiceOfEvent;
}

/** `check` on an event: the history entry of the check behind it. */
function withCheck<T extends { history_id: string | null }>(of: ClassType<T>) {
  @Resolver(() => of)
  class CheckOfEvent {
    @Authorized('viewer')
    @FieldResolver(() => MonitoringCheck, { nullable: true, description: 'The check (history entry) behind the event.' })
    check(@Root() event: T, @Ctx() { loaders }: GraphQLContext): Promise<MonitoringCheck | null> | null {
      return event.history_id ? loaders.checkById.load(event.history_id) : null;
    }
  }
  return CheckOfEvent;
}

@Resolver(() => HostChangeEvent)
export class HostChangeEventResolver {
  @Authorized('viewer')
  @FieldResolver(() => Host, { nullable: true, description: 'The host as it is now; null once deleted.' })
  host(@Root() event: HostChangeEvent, @Ctx() { loaders }: GraphQLContext): Promise<Host | null> {
    return loaders.hostById.load(event.host_id);
  }
}

@Resolver(() => IncidentChangeEvent)
export class IncidentChangeEventResolver {
  @Authorized('viewer')
  @FieldResolver(() => Incident, { nullable: true, description: 'The incident as it is now; null once expired.' })
  incident(@Root() event: IncidentChangeEvent, @Ctx() { domain }: GraphQLContext): Promise<Incident | null> {
    return domain.alerting.incidents.get(event.incident_id);
  }
}

@Resolver(() => RecoveryEvent)
export class RecoveryEventResolver {
  @Authorized('viewer')
  @FieldResolver(() => String, { nullable: true })
  message(@Root() event: RecoveryEvent, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    // Replayed events read the message from history, which other tools may have written.
    return scrubCheckText(event, event.message, loaders, true);
  }
}

export const liveResolvers = [
  LiveResolver,
  HostChangeEventResolver,
  IncidentChangeEventResolver,
  RecoveryEventResolver,
  withService(ServiceStatusChangeEvent),
  withCheck(ServiceStatusChangeEvent),
  withService(CheckCompletedEvent),
  withCheck(CheckCompletedEvent),
  withService(RecoveryEvent),
  withCheck(RecoveryEvent),
  withService(ServiceChangeEvent),
] as const;
