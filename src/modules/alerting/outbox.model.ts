import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums.js';

export const NOTIFICATION_EVENTS = ['triggered', 'acknowledged', 'resolved', 'escalated', 'flapping', 'recovery_notice', 'test'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
export const NotificationEventEnum = graphqlEnum(NOTIFICATION_EVENTS, 'NotificationEvent', 'What a notification tells.');

export const DELIVERY_STATES = ['pending', 'sent', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const DeliveryStateEnum = graphqlEnum(DELIVERY_STATES, 'DeliveryState', 'PENDING (queued or being retried), SENT, FAILED (given up, see lastError).');

/**
 * The outbox: incident transitions to tell one channel, stored before anything is sent; one entry per transition,
 * or one for a host's incidents opened together. Each transition has a deterministic key
 * (`<incident>:<event>[:<step>]:<channel>`) that only one entry may hold, so a transition queued twice (a retry, a
 * second process) is stored once; an entry's id is its first transition's key. One process at a time sends an entry (its lease); entries of one channel and one group
 * (a host) that are due together go out as one message. Kept NOTIFICATION_RETENTION_DAYS after the last change.
 */
@modelOptions({ schemaOptions: { collection: 'notifications', versionKey: false } })
@index({ notification_id: 1 }, { unique: true })
@index({ state: 1, not_before: 1 })
@index({ channel_id: 1, group_key: 1, state: 1 })
@index({ incident_id: 1 })
@index({ incident_ids: 1 })
// Sparse: entries stored before transitions were recorded have none (their id is their one transition's key).
@index({ transitions: 1 }, { unique: true, sparse: true })
@index({ group_key: 1, created_at: -1 })
@index({ expires_at: 1 }, { expireAfterSeconds: 0 })
@ObjectType({ description: 'One notification of an incident to one channel, and how its delivery went.' })
export class Notification {
  @Field({ name: 'notificationId' })
  @prop({ required: true })
  public notification_id!: string;

  @Field({ name: 'channelId' })
  @prop({ required: true })
  public channel_id!: string;

  @Field(() => String, { name: 'incidentId', nullable: true })
  @prop({ type: String, default: null })
  public incident_id!: string | null;

  @Field(() => [String], { name: 'incidentIds', description: 'Every incident it tells of (a host\'s incidents opened together go as one).' })
  @prop({ type: () => [String], default: undefined })
  public incident_ids?: string[];

  /** The transitions it tells (see the class comment); absent on entries stored before they were recorded. */
  @prop({ type: () => [String], default: undefined })
  public transitions?: string[];

  @Field(() => NotificationEventEnum)
  @prop({ required: true, type: String })
  public event!: NotificationEvent;

  /** Entries of one channel with the same key that are due together are sent as one message (a host's services). */
  @prop({ required: true })
  public group_key!: string;

  @Field(() => DeliveryStateEnum)
  @prop({ required: true, type: String, default: 'pending' })
  public state!: DeliveryState;

  @Field(() => Int)
  @prop({ required: true, default: 0 })
  public attempts!: number;

  /** Not sent before: the group wait of a new incident, then the backoff after a failed attempt. */
  @Field(() => Date, { name: 'notBefore' })
  @prop({ required: true })
  public not_before!: Date;

  @Field(() => String, { name: 'lastError', nullable: true })
  @prop({ type: String, default: null })
  public last_error!: string | null;

  /** Free text for messages without an incident (a channel test) or extra words (an escalation step). */
  @prop({ type: String, default: null })
  public note!: string | null;

  @Field(() => Date, { name: 'createdAt' })
  @prop({ required: true })
  public created_at!: Date;

  @Field(() => Date, { name: 'sentAt', nullable: true })
  @prop({ type: Date, default: null })
  public sent_at!: Date | null;

  /** When it was sent or given up (a delivery's place in its incident's timeline). */
  @prop({ type: Date, default: null })
  public finished_at!: Date | null;

  @prop({ required: true })
  public expires_at!: Date;

  /** The claim sending it now (one process at a time); free again when its outcome is written or `lease_until` passes. */
  @prop({ type: String, default: null })
  public lease_owner?: string | null;

  @prop({ type: Date, default: null })
  public lease_until?: Date | null;
}

export const NotificationModel = getModelForClass(Notification);
