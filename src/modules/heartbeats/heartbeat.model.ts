import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums.js';

export const PING_KINDS = ['success', 'fail'] as const;
export type PingKind = (typeof PING_KINDS)[number];
export const PingKindEnum = graphqlEnum(PING_KINDS, 'PingKind', 'What the last ping of a heartbeat said.');

/**
 * What a heartbeat service has heard from the job that pings it (the Healthchecks.io model). One document per
 * service, ours (not in the seed). The ping URL's token is stored only as its SHA-256: it is shown once, when
 * issued, and a lost one is replaced by issuing another.
 */
@modelOptions({ schemaOptions: { collection: 'heartbeats', versionKey: false } })
@index({ service_id: 1 }, { unique: true })
@index({ token_hash: 1 }, { unique: true })
@ObjectType({ description: 'What a heartbeat service has heard from the job that pings it.' })
export class Heartbeat {
  @prop({ required: true })
  public service_id!: string;

  /** SHA-256 (hex) of the ping URL's token. */
  @prop({ required: true })
  public token_hash!: string;

  @Field(() => Date, { name: 'urlIssuedAt', description: 'When the current ping URL was issued; an earlier one no longer works.' })
  @prop({ required: true })
  public issued_at!: Date;

  @Field(() => Date, { name: 'lastPingAt', nullable: true, description: 'The last success or failure ping.' })
  @prop({ type: Date, default: null })
  public last_ping_at!: Date | null;

  @Field(() => PingKindEnum, { name: 'lastPingKind', nullable: true })
  @prop({ type: String, default: null })
  public last_ping_kind!: PingKind | null;

  @Field(() => Int, { name: 'lastExitCode', nullable: true, description: 'The exit code the last ping carried, if any.' })
  @prop({ type: Number, default: null })
  public last_exit_code!: number | null;

  /** What the job sent with its last ping (its output), cut; recorded with the check, not served here. */
  @prop({ type: String, default: null })
  public last_output!: string | null;

  @Field(() => Date, { name: 'startedAt', nullable: true, description: 'The last /start ping: a run under way when later than lastPingAt.' })
  @prop({ type: Date, default: null })
  public started_at!: Date | null;
}

export const HeartbeatModel = getModelForClass(Heartbeat);
