import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import { SEVERITIES, type EnvironmentName, type Severity } from '../../common/enums.js';
import { EnvironmentEnum, graphqlEnum, SeverityEnum } from '../../graphql/enums.js';

export const INCIDENT_STATES = ['triggered', 'acknowledged', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
export const IncidentStateEnum = graphqlEnum(INCIDENT_STATES, 'IncidentState', 'TRIGGERED (open, nobody has taken it), ACKNOWLEDGED (open, someone is on it), RESOLVED.');

export const TIMELINE_KINDS = [
  'opened',
  'notified',
  'notification_failed',
  'suppressed',
  'unsuppressed',
  'escalated',
  'acknowledged',
  'note',
  'recovery_attempted',
  'recovery_succeeded',
  'recovery_failed',
  'recovery_gave_up',
  'flapping',
  'resolved',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];
export const TimelineKindEnum = graphqlEnum(TIMELINE_KINDS, 'IncidentTimelineKind', 'What happened to an incident.');

@ObjectType({ description: 'One thing that happened to an incident.' })
export class TimelineEntry {
  @Field(() => Date)
  @prop({ required: true })
  public at!: Date;

  @Field(() => TimelineKindEnum)
  @prop({ required: true, type: String })
  public kind!: TimelineKind;

  @Field(() => String, { nullable: true, description: 'Who: an API key’s name, or `system`.' })
  @prop({ type: String, default: null })
  public actor!: string | null;

  @Field(() => String, { nullable: true, description: 'What was said or why (a note, a suppression reason, a delivery error).' })
  @prop({ type: String, default: null })
  public message!: string | null;

  @Field(() => String, { name: 'channelId', nullable: true, description: 'The notification channel, for notified / notification_failed / escalated.' })
  @prop({ type: String, default: null })
  public channel_id!: string | null;
}

@ObjectType({ description: 'Why an open incident is not being notified now.' })
export class Suppression {
  @Field({ description: 'e.g. `muted until 2026-12-03T12:00:00.000Z`, `maintenance window`, `host in maintenance`, `alerting disabled`, `caused by svc_db (incident inc_...)`.' })
  @prop({ required: true })
  public reason!: string;

  @Field(() => Date)
  @prop({ required: true })
  public since!: Date;
}

@ObjectType({ description: 'The incident a dependent service’s incident is caused by.' })
export class IncidentCause {
  @Field({ name: 'incidentId' })
  @prop({ required: true })
  public incident_id!: string;

  @Field({ name: 'serviceId' })
  @prop({ required: true })
  public service_id!: string;
}

/**
 * An incident: a service failed `failure_threshold` checks in a row. One open incident per service (the unique
 * sparse `open_service_id`, present only while open); resolved after `success_threshold` successes in a row or
 * by an operator. Resolved incidents expire after INCIDENT_RETENTION_DAYS (`expires_at`, a TTL index).
 */
@modelOptions({ schemaOptions: { collection: 'incidents', versionKey: false } })
@index({ incident_id: 1 }, { unique: true })
@index({ open_service_id: 1 }, { unique: true, sparse: true })
@index({ service_id: 1, opened_at: -1 })
@index({ state: 1, opened_at: -1 })
@index({ opened_at: -1, _id: -1 })
@index({ 'caused_by.incident_id': 1 })
@index({ host_id: 1, state: 1 })
@index({ notified: 1, state: 1 })
@index({ expires_at: 1 }, { expireAfterSeconds: 0 })
@ObjectType({ description: 'A service down long enough to tell people, from the first failure that counted to its recovery.' })
export class Incident {
  @Field({ name: 'incidentId' })
  @prop({ required: true })
  public incident_id!: string;

  @Field({ name: 'serviceId' })
  @prop({ required: true })
  public service_id!: string;

  /** The service's id while the incident is open; absent once resolved (one open incident per service). */
  @prop({ type: String })
  public open_service_id?: string;

  @Field({ name: 'serviceName' })
  @prop({ required: true })
  public service_name!: string;

  @Field({ name: 'hostId' })
  @prop({ required: true })
  public host_id!: string;

  @Field()
  @prop({ required: true })
  public hostname!: string;

  @Field(() => EnvironmentEnum)
  @prop({ required: true, type: String })
  public environment!: EnvironmentName;

  @Field()
  @prop({ required: true })
  public region!: string;

  @Field(() => SeverityEnum)
  @prop({ required: true, type: String, enum: SEVERITIES })
  public severity!: Severity;

  @Field(() => IncidentStateEnum)
  @prop({ required: true, type: String })
  public state!: IncidentState;

  @Field(() => Date, { name: 'openedAt' })
  @prop({ required: true })
  public opened_at!: Date;

  @Field(() => Date, { name: 'acknowledgedAt', nullable: true })
  @prop({ type: Date, default: null })
  public acknowledged_at!: Date | null;

  @Field(() => Date, { name: 'resolvedAt', nullable: true })
  @prop({ type: Date, default: null })
  public resolved_at!: Date | null;

  @Field(() => String, { name: 'lastError', nullable: true, description: 'The error of the latest failed check.' })
  @prop({ type: String, default: null })
  public last_error!: string | null;

  @Field(() => Int, { name: 'failureCount', description: 'Failed checks in a row when it opened (then counting on while open).' })
  @prop({ required: true, default: 0 })
  public failure_count!: number;

  /** Successful checks in a row while open; the incident resolves at the service's success threshold. */
  @prop({ required: true, default: 0 })
  public success_streak!: number;

  @Field(() => IncidentCause, { name: 'causedBy', nullable: true, description: 'The open incident of a dependency this one follows from; its notifications are suppressed.' })
  @prop({ type: () => IncidentCause, _id: false, default: null })
  public caused_by!: IncidentCause | null;

  @Field(() => Suppression, { nullable: true, description: 'Set while notifications are held back, with the reason.' })
  @prop({ type: () => Suppression, _id: false, default: null })
  public suppressed!: Suppression | null;

  /** The service opened FLAP_THRESHOLD incidents within FLAP_WINDOW_SEC: told once as flapping, then quiet until it is stable. */
  @Field({ description: 'Opened while its service was flapping (many incidents in a short time): told once, then held back until stable.' })
  @prop({ required: true, default: false })
  public flapping!: boolean;

  /** Whether its opening was sent (queued) to any channel: when a suppression ends, an unnotified open incident is notified then. */
  @Field({ description: 'Whether people were told it opened.' })
  @prop({ required: true, default: false })
  public notified!: boolean;

  /** Channels its notifications went to (acknowledgement and resolution go to each of them). */
  @prop({ type: () => [String], default: [] })
  public notified_channels!: string[];

  /** What happened, as written; deliveries are not written here but read from the outbox (the `timeline` field joins them). */
  @prop({ type: () => [TimelineEntry], _id: false, default: [] })
  public timeline!: TimelineEntry[];

  @prop({ type: Date, default: null })
  public expires_at!: Date | null;
}

export const IncidentModel = getModelForClass(Incident);
