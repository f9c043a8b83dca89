import { getModelForClass, index, modelOptions, prop, Severity as TypegooseSeverity } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import { CHECK_TYPES, RECOVER_ACTIONS, SERVICE_STATUSES, type CheckType, type RecoverAction, type ServiceStatus } from '../../common/enums.js';
import { patterns } from '../../common/validation.js';
import { matches, oneOf } from '../../db/validators.js';

@modelOptions({ options: { allowMixed: TypegooseSeverity.ALLOW } })
export class CheckMetrics {
  @prop({ type: Number, default: undefined })
  public cpu_usage?: number;

  @prop({ type: Number, default: undefined })
  public memory_usage?: number;

  @prop({ type: Number, default: undefined })
  public disk_usage?: number;

  @prop({ type: Number, default: undefined })
  public connections?: number;

  @prop({ type: Number, default: undefined })
  public uptime_seconds?: number;

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
export class MonitoringCheck {
  @prop({ required: true, validate: matches(patterns.id, 'a service_id') })
  public service_id!: string;

  @prop({ required: true, validate: matches(patterns.id, 'a host_id') })
  public host_id!: string;

  /** When the check ran (not when it was written). */
  @prop({ required: true })
  public timestamp!: Date;

  @prop({ required: true, type: String, default: 'status_check', validate: oneOf(CHECK_TYPES) })
  public check_type!: CheckType;

  @prop({ required: true, type: String, validate: oneOf(SERVICE_STATUSES) })
  public status!: ServiceStatus;

  /** 0 = success, > 0 = error (exit code, HTTP status...). */
  @prop({ type: Number, default: null })
  public status_code!: number | null;

  @prop({ type: Number, default: null, min: 0 })
  public response_time_ms!: number | null;

  @prop({ type: () => CheckMetrics, default: () => ({}), _id: false })
  public metrics!: CheckMetrics;

  @prop({ type: String, default: null })
  public error!: string | null;

  @prop({ type: String, default: null })
  public error_details!: string | null;

  @prop({ required: true, default: false })
  public recovery_attempted!: boolean;

  @prop({ type: String, default: null, validate: oneOf(RECOVER_ACTIONS) })
  public recovery_action!: RecoverAction | null;

  @prop({ type: Boolean, default: null })
  public recovery_success!: boolean | null;

  @prop({ type: String, default: null })
  public recovery_message!: string | null;

  @prop({ required: true })
  public expires_at!: Date;

  /** Not in the seed: set on a result older than the service's latest check, which uptime must not read as a status change. */
  @prop({ type: Boolean, default: undefined })
  public late?: boolean;
}

export const MonitoringCheckModel = getModelForClass(MonitoringCheck);
