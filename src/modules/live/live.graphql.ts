import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { EnvironmentName, RecoverAction, ServiceStatus, Severity } from '../../common/enums.js';
import { EnvironmentEnum, RecoverActionEnum, ServiceStatusEnum, SeverityEnum, graphqlEnum } from '../../graphql/enums.js';
import type { IncidentChangeKind, InventoryChangeKind } from '../../events/event-bus.js';
import { IncidentStateEnum, type IncidentState } from '../alerting/incident.model.js';
import type { ServiceEventFilter } from './live-events.js';

export const RecoveryEventKindEnum = graphqlEnum(['attempted', 'succeeded', 'failed', 'gave_up'] as const, 'RecoveryEventKind', 'What happened to a recovery.');
export const InventoryChangeKindEnum = graphqlEnum(['created', 'updated', 'deleted'] as const, 'InventoryChangeKind', 'What happened to a host or service.');

@InputType({ description: 'Service events to receive; every given criterion must hold.' })
export class ServiceEventFilterInput {
  @Field(() => String, { nullable: true }) serviceId?: string | null;
  @Field(() => String, { nullable: true }) hostId?: string | null;
  @Field(() => EnvironmentEnum, { nullable: true }) environment?: EnvironmentName | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) serviceType?: string | null;
  @Field(() => SeverityEnum, { nullable: true, description: "The service's alert severity." }) severity?: Severity | null;
}

export function toServiceEventFilter(input: ServiceEventFilterInput | null | undefined): ServiceEventFilter {
  return {
    service_id: input?.serviceId ?? undefined,
    host_id: input?.hostId ?? undefined,
    environment: input?.environment ?? undefined,
    region: input?.region ?? undefined,
    service_type: input?.serviceType ?? undefined,
    severity: input?.severity ?? undefined,
  };
}

@ObjectType({ description: "A service's status changed; `check` is the check that found it." })
export class ServiceStatusChangeEvent {
  @Field(() => ID, { description: 'The id of the check (history entry) that changed the status; the same when replayed.' }) id!: string;
  @Field(() => Date, { description: 'When the change was written (what `since` compares with).' }) at!: Date;
  @Field({ name: 'serviceId' }) service_id!: string;
  @Field({ name: 'hostId' }) host_id!: string;
  @Field(() => ServiceStatusEnum, { name: 'previousStatus' }) previous_status!: ServiceStatus;
  @Field(() => ServiceStatusEnum) status!: ServiceStatus;
  @Field({ name: 'historyId' }) history_id!: string;
}

@ObjectType({ description: 'A check finished (scheduled or on demand).' })
export class CheckCompletedEvent {
  @Field(() => ID, { description: 'The id of the history entry; the same when replayed.' }) id!: string;
  @Field(() => Date, { description: 'When the result was written (what `since` compares with); the check started at `check.timestamp`.' }) at!: Date;
  @Field({ name: 'serviceId' }) service_id!: string;
  @Field({ name: 'hostId' }) host_id!: string;
  @Field(() => ServiceStatusEnum) status!: ServiceStatus;
  @Field({ name: 'historyId' }) history_id!: string;
  @Field(() => Date, { name: 'dueAt', nullable: true, description: 'When the schedule wanted it; null for on-demand checks and replays.' }) due_at!: Date | null;
}

@ObjectType({ description: 'A recovery was attempted, succeeded, failed, or was given up.' })
export class RecoveryEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field({ name: 'serviceId' }) service_id!: string;
  @Field({ name: 'hostId' }) host_id!: string;
  @Field(() => RecoveryEventKindEnum) kind!: 'attempted' | 'succeeded' | 'failed' | 'gave_up';
  @Field(() => RecoverActionEnum, { nullable: true }) action!: RecoverAction | null;
  @Field(() => String, { nullable: true }) message!: string | null;
  @Field(() => String, { name: 'historyId', nullable: true }) history_id!: string | null;
}

@ObjectType({ description: 'A host was created, updated or deleted.' })
export class HostChangeEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field({ name: 'hostId' }) host_id!: string;
  @Field(() => InventoryChangeKindEnum) kind!: InventoryChangeKind;
}

@ObjectType({ description: 'A service was created, updated or deleted.' })
export class ServiceChangeEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field({ name: 'serviceId' }) service_id!: string;
  @Field({ name: 'hostId' }) host_id!: string;
  @Field(() => InventoryChangeKindEnum) kind!: InventoryChangeKind;
}

export const IncidentChangeKindEnum = graphqlEnum(
  ['opened', 'acknowledged', 'resolved', 'note', 'suppressed', 'unsuppressed'] as const,
  'IncidentChangeKind',
  'What happened to an incident.',
);

@InputType({ description: 'Incident events to receive; every given criterion must hold.' })
export class IncidentEventFilterInput {
  @Field(() => [IncidentStateEnum], { nullable: true, description: 'The incident’s state after the change is one of these.' }) states?: IncidentState[] | null;
  @Field(() => SeverityEnum, { nullable: true }) severity?: Severity | null;
  @Field(() => EnvironmentEnum, { nullable: true }) environment?: EnvironmentName | null;
  @Field(() => String, { nullable: true }) serviceId?: string | null;
  @Field(() => String, { nullable: true }) hostId?: string | null;
}

@ObjectType({ description: 'An incident opened, was acknowledged, noted, held back or let through, or resolved; `incident` is it as it is now.' })
export class IncidentChangeEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field({ name: 'incidentId' }) incident_id!: string;
  @Field({ name: 'serviceId' }) service_id!: string;
  @Field({ name: 'hostId' }) host_id!: string;
  @Field(() => EnvironmentEnum) environment!: EnvironmentName;
  @Field(() => SeverityEnum) severity!: Severity;
  @Field(() => IncidentStateEnum) state!: IncidentState;
  @Field(() => IncidentChangeKindEnum) kind!: IncidentChangeKind;
}
