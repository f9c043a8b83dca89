import { getModelForClass, index, modelOptions, prop, Severity as TypegooseSeverity } from '@typegoose/typegoose';
import mongoose, { type Types } from 'mongoose';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { CHECK_TYPES, RECOVER_ACTIONS, SERVICE_STATUSES, type CheckType, type RecoverAction, type ServiceStatus } from '../../common/enums.js';
import { creationTime, patterns, readStored, storedShape, type DataProblem, type StoredRead, type StoredShape } from '../../common/validation.js';
import { matches, oneOf } from '../../db/validators.js';
import { CheckTypeEnum, RecoverActionEnum, ServiceStatusEnum } from '../../graphql/enums.js';

@ObjectType({ description: 'Figures a check collected; `custom` holds per-service-type metrics.' })
@modelOptions({ options: { allowMixed: TypegooseSeverity.ALLOW } })
export class CheckMetrics {
  @Field(() => Float, { name: 'cpuUsage', nullable: true })
  @prop({ type: Number, default: undefined })
  public cpu_usage?: number;

  @Field(() => Float, { name: 'memoryUsage', nullable: true })
  @prop({ type: Number, default: undefined })
  public memory_usage?: number;

  @Field(() => Float, { name: 'diskUsage', nullable: true })
  @prop({ type: Number, default: undefined })
  public disk_usage?: number;

  @Field(() => Float, { nullable: true })
  @prop({ type: Number, default: undefined })
  public connections?: number;

  @Field(() => Float, { name: 'uptimeSeconds', nullable: true })
  @prop({ type: Number, default: undefined })
  public uptime_seconds?: number;

  @Field(() => GraphQLJSON, { nullable: true })
  /** Per-service-type figures (queries_per_second, replication_lag...): free-form by design. */
  @prop({ type: mongoose.Schema.Types.Mixed, default: undefined })
  public custom?: Record<string, unknown>;
}

@modelOptions({
  schemaOptions: { collection: 'monitoring_history', versionKey: false },
  options: { allowMixed: TypegooseSeverity.ALLOW },
})
@index({ service_id: 1, timestamp: -1 })
@index({ host_id: 1, timestamp: -1 })
@index({ timestamp: -1 })
@index({ status: 1, timestamp: -1 })
@index({ check_type: 1, timestamp: -1 })
@index({ expires_at: 1 }, { expireAfterSeconds: 0 })
@ObjectType({ description: 'One check of one service: what it found and what recovery did.' })
export class MonitoringCheck {
  public _id!: Types.ObjectId;

  @Field({ name: 'serviceId' })
  @prop({ required: true, validate: matches(patterns.id, 'a service_id') })
  public service_id!: string;

  @Field({ name: 'hostId' })
  @prop({ required: true, validate: matches(patterns.id, 'a host_id') })
  public host_id!: string;

  @Field(() => Date, { description: 'When the check ran.' })
  /** When the check ran (not when it was written). */
  @prop({ required: true })
  public timestamp!: Date;

  @Field(() => CheckTypeEnum, { name: 'checkType', nullable: true, description: 'Null when the stored type is not one this server knows (see problems).' })
  @prop({ required: true, type: String, default: 'status_check', validate: oneOf(CHECK_TYPES) })
  public check_type!: CheckType;

  @Field(() => ServiceStatusEnum)
  @prop({ required: true, type: String, validate: oneOf(SERVICE_STATUSES) })
  public status!: ServiceStatus;

  @Field(() => Int, { name: 'statusCode', nullable: true, description: '0 = success, > 0 = error (exit code, HTTP status...).' })
  /** 0 = success, > 0 = error (exit code, HTTP status...). */
  @prop({ type: Number, default: null })
  public status_code!: number | null;

  @Field(() => Float, { name: 'responseTimeMs', nullable: true })
  @prop({ type: Number, default: null, min: 0 })
  public response_time_ms!: number | null;

  @Field(() => CheckMetrics)
  @prop({ type: () => CheckMetrics, default: () => ({}), _id: false })
  public metrics!: CheckMetrics;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null })
  public error!: string | null;

  @Field(() => String, { name: 'errorDetails', nullable: true })
  @prop({ type: String, default: null })
  public error_details!: string | null;

  @Field({ name: 'recoveryAttempted' })
  @prop({ required: true, default: false })
  public recovery_attempted!: boolean;

  @Field(() => RecoverActionEnum, { name: 'recoveryAction', nullable: true })
  @prop({ type: String, default: null, validate: oneOf(RECOVER_ACTIONS) })
  public recovery_action!: RecoverAction | null;

  @Field(() => Boolean, { name: 'recoverySuccess', nullable: true })
  @prop({ type: Boolean, default: null })
  public recovery_success!: boolean | null;

  @Field(() => String, { name: 'recoveryMessage', nullable: true })
  @prop({ type: String, default: null })
  public recovery_message!: string | null;

  @Field(() => Date, { name: 'expiresAt' })
  @prop({ required: true })
  public expires_at!: Date;

  /** Not in the seed: set on a result older than the service's latest check, which uptime must not read as a status change. */
  @prop({ type: Boolean, default: undefined })
  public late?: boolean;

  /**
   * Not in the seed: on a check that changed the service's status, the status
   * before it, so status changes a live client missed can be replayed from
   * history alone.
   */
  @prop({ type: String, default: undefined })
  public previous_status?: ServiceStatus;

  /** Not in the seed: when the result was written (a slow check is written long after its `timestamp`); live replay reads it. */
  @prop({ type: Date, default: undefined })
  public recorded_at?: Date;

  /** Not in the seed: when a recovery outcome (or the first give-up) was written on this entry; live replay reads it. */
  @prop({ type: Date, default: undefined })
  public recovery_at?: Date;

  /** Not stored: what reading the entry found wrong with it; served as `problems`. */
  public problems?: DataProblem[];
}

export const MonitoringCheckModel = getModelForClass(MonitoringCheck);

let shape: StoredShape | undefined;
const DAY_MS = 86_400_000;

/**
 * A stored history entry as the API serves it, whoever wrote it: a status this
 * server does not know reads as `unknown`, a missing timestamp is the entry's
 * creation (its ObjectId), a missing expiry is `retentionDays` after the check.
 */
export function readCheckDocument(raw: unknown, retentionDays = 30): StoredRead<MonitoringCheck> {
  shape ??= storedShape(MonitoringCheckModel.schema, {
    enums: {
      check_type: { values: CHECK_TYPES },
      status: { values: SERVICE_STATUSES, unknownAs: 'unknown' },
      recovery_action: { values: RECOVER_ACTIONS },
    },
    integers: ['status_code'],
    ignore: ['late', 'previous_status', 'recorded_at', 'recovery_at'],
  });
  const read = readStored<MonitoringCheck>(raw, shape);
  const check = read.doc;
  // Missing, each can be derived: then it is filled in, not a problem.
  const derive = (field: 'timestamp' | 'expires_at', value: Date | null) => {
    if (check[field] instanceof Date || !value) return;
    check[field] = value;
    read.filled.push({ field, value, how: 'derived' });
    read.problems.splice(0, read.problems.length, ...read.problems.filter((p) => !(p.field === field && p.message === 'is missing')));
  };
  derive('timestamp', creationTime(check));
  derive('expires_at', check.timestamp instanceof Date ? new Date(+check.timestamp + retentionDays * DAY_MS) : null);
  // Served fields must not stay empty: with no ObjectId either, the epoch says "unknown time" plainly.
  check.timestamp ??= new Date(0);
  check.expires_at ??= new Date(0);
  return read;
}

export function readCheck(raw: unknown, retentionDays = 30): MonitoringCheck {
  const { doc, problems } = readCheckDocument(raw, retentionDays);
  doc.problems = problems;
  return doc;
}
