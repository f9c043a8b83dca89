import { getModelForClass, index, modelOptions, pre, prop, Severity as TypegooseSeverity } from '@typegoose/typegoose';
import {
  ALERT_CHANNELS,
  CHECK_METHODS,
  ENVIRONMENTS,
  RECOVER_ACTIONS,
  SERVICE_STATUSES,
  SEVERITIES,
  type AlertChannel,
  type CheckMethod,
  type EnvironmentName,
  type RecoverAction,
  type ServiceStatus,
  type Severity,
} from '../../common/enums.js';
import { isHttpUrl, patterns, TAG_RULE } from '../../common/validation.js';
import { everyItem, everyOneOf, matches, oneOf, satisfies, withinBounds, withinRange } from '../../db/validators.js';

export const serviceLimits = {
  intervalSec: { min: 5, max: 86_400 },
  timeoutSec: { min: 1, max: 600 },
  retryAttempts: { min: 0, max: 10 },
  retryDelaySec: { min: 0, max: 600 },
  maxRecoveryAttempts: { min: 0, max: 100 },
  recoveryCooldownSec: { min: 0, max: 604_800 },
} as const;

const L = serviceLimits;

export class MonitoringConfig {
  @prop({ required: true, type: String, default: 'ssh', validate: oneOf(CHECK_METHODS) })
  public method!: CheckMethod;

  @prop({ required: true, default: true })
  public enabled!: boolean;

  @prop({ required: true, default: 60, validate: withinRange(L.intervalSec.min, L.intervalSec.max, 'seconds') })
  public interval_sec!: number;

  @prop({ required: true, default: 30, validate: withinRange(L.timeoutSec.min, L.timeoutSec.max, 'seconds') })
  public timeout_sec!: number;

  @prop({ required: true, default: 3, validate: withinRange(L.retryAttempts.min, L.retryAttempts.max, 'a count') })
  public retry_attempts!: number;

  @prop({ required: true, default: 5, validate: withinRange(L.retryDelaySec.min, L.retryDelaySec.max, 'seconds') })
  public retry_delay_sec!: number;
}

export class RecoveryConfig {
  @prop({ required: true, default: false })
  public recover_on_down!: boolean;

  @prop({ required: true, type: String, default: 'restart', validate: oneOf(RECOVER_ACTIONS) })
  public recover_action!: RecoverAction;

  /** Name of an entry in the server's allow-list, never a command line. */
  @prop({ type: String, default: null, validate: matches(patterns.allowListName, 'the name of an allow-listed script') })
  public custom_script!: string | null;

  @prop({ required: true, default: 3, validate: withinRange(L.maxRecoveryAttempts.min, L.maxRecoveryAttempts.max, 'a count') })
  public max_recovery_attempts!: number;

  @prop({ required: true, default: 300, validate: withinRange(L.recoveryCooldownSec.min, L.recoveryCooldownSec.max, 'seconds') })
  public recovery_cooldown_sec!: number;

  @prop({ required: true, default: true })
  public notify_before_recovery!: boolean;
}

export class AlertingConfig {
  @prop({ required: true, default: true })
  public enabled!: boolean;

  @prop({ type: () => [String], default: ['email'], validate: everyOneOf(ALERT_CHANNELS) })
  public channels!: AlertChannel[];

  @prop({ required: true, type: String, default: 'medium', validate: oneOf(SEVERITIES) })
  public severity!: Severity;

  @prop({ type: String, default: null, validate: matches(patterns.label, 'a policy name') })
  public escalation_policy!: string | null;

  @prop({ type: Date, default: null })
  public mute_until!: Date | null;
}

export class HealthCheckConfig {
  @prop({ required: true, default: false })
  public enabled!: boolean;

  @prop({ type: String, default: null, validate: satisfies(isHttpUrl, 'an http(s) URL') })
  public endpoint!: string | null;

  @prop({ type: String, default: null, maxlength: 1024 })
  public expected_response!: string | null;

  /** Name of an allow-listed custom check. */
  @prop({ type: String, default: null, validate: matches(patterns.allowListName, 'the name of an allow-listed check') })
  public custom_check!: string | null;
}

@modelOptions({
  schemaOptions: {
    collection: 'services',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    versionKey: false,
  },
  options: { allowMixed: TypegooseSeverity.ERROR },
})
@pre<Service>('validate', function crossFieldRules() {
  if (this.monitoring && this.monitoring.timeout_sec > this.monitoring.interval_sec) {
    this.invalidate('monitoring.timeout_sec', `must not exceed monitoring.interval_sec (${this.monitoring.interval_sec}), got ${this.monitoring.timeout_sec}`);
  }
  if (this.recovery?.recover_action === 'custom_script' && !this.recovery.custom_script) {
    this.invalidate('recovery.custom_script', 'is required when recover_action is custom_script');
  }
  if (this.dependencies?.includes(this.service_id)) {
    this.invalidate('dependencies', 'a service cannot depend on itself');
  }
})
@index({ service_id: 1 }, { unique: true })
@index({ host_id: 1 })
@index({ service_type: 1 })
@index({ environment: 1, service_type: 1 })
@index({ current_status: 1 })
@index({ 'monitoring.enabled': 1, current_status: 1 })
@index({ region: 1 })
@index({ tags: 1 })
@index({ last_check: 1 })
// Stale detection compares against each service's own interval; a precomputed instant keeps it one index range.
@index({ stale_at: 1 })
// The attention list and failure filters ask for "at least N failures in a row".
@index({ consecutive_failures: 1 })
// Removing a deleted service from the dependency lists of others.
@index({ dependencies: 1 })
export class Service {
  @prop({ required: true, validate: matches(patterns.id, 'letters, digits, _ . - (max 128), starting alphanumeric') })
  public service_id!: string;

  @prop({ required: true, validate: matches(patterns.id, 'a host_id') })
  public host_id!: string;

  /** Reaches `systemctl` over SSH: the strict pattern is what keeps it from being a shell injection. */
  @prop({ required: true, validate: matches(patterns.systemdUnit, 'a systemd unit name such as mysql.service (letters, digits, : _ . @ -)') })
  public service_name!: string;

  @prop({ required: true, validate: matches(patterns.allowListName, 'a service type such as mysql') })
  public service_type!: string;

  @prop({ type: String, default: null, maxlength: 256 })
  public display_name!: string | null;

  @prop({ type: String, default: null, maxlength: 2048 })
  public description!: string | null;

  @prop({ type: () => MonitoringConfig, required: true, default: () => ({}), _id: false })
  public monitoring!: MonitoringConfig;

  @prop({ type: () => RecoveryConfig, required: true, default: () => ({}), _id: false })
  public recovery!: RecoveryConfig;

  @prop({ type: () => AlertingConfig, default: () => ({}), _id: false })
  public alerting!: AlertingConfig;

  @prop({ type: () => HealthCheckConfig, default: () => ({}), _id: false })
  public health_check!: HealthCheckConfig;

  @prop({ required: true, type: String, default: 'unknown', validate: oneOf(SERVICE_STATUSES) })
  public current_status!: ServiceStatus;

  /** When the latest check ran; null until the first one (the seed set it at creation, hiding never-checked services). */
  @prop({ type: Date, default: null })
  public last_check!: Date | null;

  @prop({ type: Date, default: null })
  public last_status_change!: Date | null;

  /** Time-weighted uptime over the last 30 days; null while there is no data. */
  @prop({ type: Number, default: null, validate: withinBounds(0, 100) })
  public uptime_percentage!: number | null;

  @prop({ required: true, default: 0, min: 0 })
  public consecutive_failures!: number;

  /** Copied from the host; kept in sync when the host moves. */
  @prop({ required: true, type: String, validate: oneOf(ENVIRONMENTS) })
  public environment!: EnvironmentName;

  /** Copied from the host; kept in sync when the host moves. */
  @prop({ required: true, validate: matches(patterns.label, 'a region label') })
  public region!: string;

  @prop({ type: () => [String], default: [], validate: everyItem(patterns.tag, TAG_RULE) })
  public tags!: string[];

  @prop({ type: () => [String], default: [], validate: everyItem(patterns.id, 'a service_id') })
  public dependencies!: string[];

  /** Not in the seed: the instant this service becomes stale (last check, or creation, plus N intervals). */
  @prop({ type: Date, default: null })
  public stale_at!: Date | null;

  public created_at!: Date;
  public updated_at!: Date;
}

export const ServiceModel = getModelForClass(Service);
