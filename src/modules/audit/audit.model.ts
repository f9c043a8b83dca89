import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import type { Types } from 'mongoose';
import { Field, Int, ObjectType } from 'type-graphql';
import { graphqlEnum, RoleEnum } from '../../graphql/enums.js';
import type { Role } from '../auth/roles.js';

export const AUDIT_ACTOR_TYPES = ['api_key', 'system', 'cli', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export const AUDIT_CHANNELS = ['http', 'socket', 'cli', 'system'] as const;
export type AuditChannel = (typeof AUDIT_CHANNELS)[number];

export const AuditActorTypeEnum = graphqlEnum(
  AUDIT_ACTOR_TYPES,
  'AuditActorType',
  'Who acted: API_KEY (a request with a key), SYSTEM (the server on its own: recoveries, the first key), CLI (a command with database access), ANONYMOUS (a request whose key was refused).',
);
export const AuditOutcomeEnum = graphqlEnum(AUDIT_OUTCOMES, 'AuditOutcome', 'Whether the action did what was asked.');
export const AuditChannelEnum = graphqlEnum(AUDIT_CHANNELS, 'AuditChannel', 'Where the action came in: HTTP, SOCKET (WebSocket), CLI, or SYSTEM (the server itself).');

@ObjectType({ description: 'Who did it.' })
export class AuditActor {
  @Field(() => AuditActorTypeEnum)
  @prop({ required: true, type: String })
  public type!: AuditActorType;

  @Field(() => String, { name: 'keyId', nullable: true, description: 'The API key, for API_KEY.' })
  @prop({ type: String, default: null })
  public key_id!: string | null;

  @Field(() => String, { nullable: true, description: 'The key’s name; the OS user for CLI; what part of the server for SYSTEM.' })
  @prop({ type: String, default: null })
  public name!: string | null;

  @Field(() => RoleEnum, { nullable: true })
  @prop({ type: String, default: null })
  public role!: Role | null;
}

@ObjectType({ description: 'Something an action was about.' })
export class AuditTarget {
  @Field({ description: 'host, service, api_key, environment.' })
  @prop({ required: true })
  public type!: string;

  @Field()
  @prop({ required: true })
  public id!: string;
}

/**
 * One audit log entry: a mutation (or a refused one), a key made or revoked outside the API, a failed
 * authentication (one per source address per minute, with a count), or something the server did on
 * its own. Kept AUDIT_RETENTION_DAYS (`expires_at`, a TTL index; the retention sweep where the server
 * has no TTL monitor).
 */
@modelOptions({ schemaOptions: { collection: 'audit_log', versionKey: false } })
@index({ at: -1, _id: -1 })
@index({ 'actor.key_id': 1, at: -1 })
@index({ 'targets.id': 1, at: -1 })
@index({ operation: 1, at: -1 })
@index({ expires_at: 1 }, { expireAfterSeconds: 0 })
@ObjectType({ description: 'One entry of the audit log.' })
export class AuditRecord {
  public _id!: Types.ObjectId;

  @Field(() => Date, { description: 'When it happened (for counted failures: the first of them).' })
  @prop({ required: true })
  public at!: Date;

  @Field(() => AuditActor)
  @prop({ required: true, type: () => AuditActor, _id: false })
  public actor!: AuditActor;

  @Field(() => AuditChannelEnum)
  @prop({ required: true, type: String })
  public channel!: AuditChannel;

  @Field({ description: 'The mutation (`createHost`), or `authenticate`, `recovery`, `recoveryGaveUp`.' })
  @prop({ required: true })
  public operation!: string;

  @Field(() => String, { name: 'operationName', nullable: true, description: 'The GraphQL operation’s own name, as the client sent it.' })
  @prop({ type: String, default: null })
  public operation_name!: string | null;

  /** The arguments, redacted, as JSON text (any keys, any size up to a cap); `arguments` in the API. */
  @prop({ type: String, default: null })
  public arguments_json!: string | null;

  @Field(() => [AuditTarget])
  @prop({ type: () => [AuditTarget], default: [], _id: false })
  public targets!: AuditTarget[];

  @Field(() => AuditOutcomeEnum)
  @prop({ required: true, type: String })
  public outcome!: AuditOutcome;

  @Field(() => String, { name: 'errorCode', nullable: true, description: 'The error’s `extensions.code` when it failed.' })
  @prop({ type: String, default: null })
  public error_code!: string | null;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null })
  public message!: string | null;

  @Field(() => String, { name: 'clientAddress', nullable: true, description: 'The address the request came from (the socket’s peer).' })
  @prop({ type: String, default: null })
  public client_address!: string | null;

  @Field(() => Int, { description: 'How many times it happened: above 1 for failed authentications counted together.' })
  @prop({ required: true, default: 1 })
  public count!: number;

  @Field(() => Date, { name: 'lastAt', nullable: true, description: 'For counted failures: the last of them.' })
  @prop({ type: Date, default: null })
  public last_at!: Date | null;

  @prop({ required: true })
  public expires_at!: Date;
}

export const AuditRecordModel = getModelForClass(AuditRecord);

