import { getModelForClass, index, modelOptions, pre, prop, Severity as TypegooseSeverity } from '@typegoose/typegoose';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ENVIRONMENTS, SERVICE_STATUSES, TARGETED_CHECK_METHODS, type EnvironmentName, type RecoverAction, type ServiceStatus } from '../../common/enums.js';
import { DNS_TARGET_NEEDED } from '../../common/dns-target.js';
import { patterns, TAG_RULE, type DataProblem } from '../../common/validation.js';
import { everyItem, matches, oneOf, satisfiesInDocument, withinBounds, maxLength } from '../../db/validators.js';
import { EnvironmentEnum, RecoverActionEnum, ServiceStatusEnum } from '../../graphql/enums.js';

import { AlertingConfig, HealthCheckConfig, MonitoringConfig, RecoveryConfig, serviceLimits } from './service-config.model.js';
import { SERVICE_NAME_RULE, validServiceName } from './service-naming.js';

export { AlertingConfig, HealthCheckConfig, MonitoringConfig, RecoveryConfig, serviceLimits } from './service-config.model.js';

const inRange = (value: unknown, limits: { min: number; max: number }) => Number.isInteger(value) && (value as number) >= limits.min && (value as number) <= limits.max;

@ObjectType({ description: 'Automatic recovery waiting for an operator’s approveRecovery (its environment requires approval).' })
export class RecoveryApproval {
  @Field(() => RecoverActionEnum)
  @prop({ required: true, type: String })
  public action!: RecoverAction;

  @Field(() => Date, { name: 'requestedAt' })
  @prop({ required: true })
  public requested_at!: Date;

  @Field(() => Date, { name: 'expiresAt', description: 'Not approved by then, it lapses; the next failed check asks again.' })
  @prop({ required: true })
  public expires_at!: Date;

  /** Set by approveRecovery: the next automatic recovery of the service goes ahead (and clears the request). */
  @prop({ type: String, default: null })
  public approved_by!: string | null;
}

@modelOptions({
  schemaOptions: {
    collection: 'services',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    versionKey: false,
  },
  options: { allowMixed: TypegooseSeverity.ERROR },
})
// Messages name no other field (the API, the migration CLI and stored-data reports each spell fields their own
// way), and a rule between two fields holds off while either is invalid on its own: one problem, one message.
@pre<Service>('validate', function crossFieldRules() {
  if (this.monitoring && inRange(this.monitoring.interval_sec, serviceLimits.intervalSec) && inRange(this.monitoring.timeout_sec, serviceLimits.timeoutSec)) {
    if (this.monitoring.timeout_sec > this.monitoring.interval_sec) {
      this.invalidate('monitoring.timeout_sec', `must not exceed the check interval (${this.monitoring.interval_sec} seconds), got ${this.monitoring.timeout_sec}`);
    }
  }
  if (this.monitoring && TARGETED_CHECK_METHODS.includes(this.monitoring.method) && !this.monitoring.target) {
    this.invalidate('monitoring.target', `is required for ${this.monitoring.method} checks`);
  }
  if (this.monitoring?.method === 'dns' && this.monitoring.target && !/^dns:/i.test(this.monitoring.target)) {
    this.invalidate('monitoring.target', DNS_TARGET_NEEDED);
  }
  if (this.monitoring?.method === 'custom' && !this.health_check?.custom_check) {
    this.invalidate('health_check.custom_check', 'is required for custom checks: the name of an allow-listed command');
  }
  if (this.recovery?.recover_action === 'custom_script' && !this.recovery.custom_script) {
    this.invalidate('recovery.custom_script', 'is required when the recovery action is a custom script');
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
// The escalation sweep looks only at the services that name a policy.
@index({ 'alerting.escalation_policy': 1 })
// The scheduler claims due, enabled services in due order.
@index({ 'monitoring.enabled': 1, next_check_at: 1 })
@index({ lease_owner: 1 })
@ObjectType({ description: 'A systemd unit (or endpoint) on a host, with how it is monitored, recovered and alerted on.' })
export class Service {
  @Field({ name: 'serviceId', description: 'Unique id, e.g. svc_jeju_mysql_001.' })
  @prop({ required: true, validate: matches(patterns.id, 'letters, digits, _ . - (max 128), starting alphanumeric') })
  public service_id!: string;

  @Field({ name: 'hostId' })
  @prop({ required: true, validate: matches(patterns.id, 'a host_id') })
  public host_id!: string;

  @Field({ name: 'serviceName', description: 'systemd unit name, e.g. mysql.service; a service checked without SSH and not recovered may have a readable name ("Company website").' })
  /** Reaches `systemctl` over SSH where the service uses SSH: see service-naming.ts. */
  @prop({ required: true, validate: satisfiesInDocument(validServiceName, SERVICE_NAME_RULE) })
  public service_name!: string;

  @Field({ name: 'serviceType', description: 'Kind of service: mysql, nginx... (left out: the unit\'s name for an SSH check, else the method: http, tcp...).' })
  @prop({ required: true, validate: matches(patterns.allowListName, 'a service type such as mysql') })
  public service_type!: string;

  @Field(() => String, { name: 'displayName', nullable: true })
  @prop({ type: String, default: null, validate: maxLength(256) })
  public display_name!: string | null;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(2048) })
  public description!: string | null;

  @Field(() => MonitoringConfig)
  @prop({ type: () => MonitoringConfig, required: true, default: () => ({}), _id: false })
  public monitoring!: MonitoringConfig;

  @Field(() => RecoveryConfig)
  @prop({ type: () => RecoveryConfig, required: true, default: () => ({}), _id: false })
  public recovery!: RecoveryConfig;

  @Field(() => AlertingConfig)
  @prop({ type: () => AlertingConfig, default: () => ({}), _id: false })
  public alerting!: AlertingConfig;

  @Field(() => HealthCheckConfig, { name: 'healthCheck' })
  @prop({ type: () => HealthCheckConfig, default: () => ({}), _id: false })
  public health_check!: HealthCheckConfig;

  @Field(() => ServiceStatusEnum, { name: 'currentStatus' })
  @prop({ required: true, type: String, default: 'unknown', validate: oneOf(SERVICE_STATUSES) })
  public current_status!: ServiceStatus;

  @Field(() => Date, { name: 'lastCheck', nullable: true, description: 'When the latest check ran; null until the first.' })
  /** When the latest check ran; null until the first one (the seed set it at creation, hiding never-checked services). */
  @prop({ type: Date, default: null })
  public last_check!: Date | null;

  @Field(() => Date, { name: 'lastStatusChange', nullable: true })
  @prop({ type: Date, default: null })
  public last_status_change!: Date | null;

  @Field(() => Float, { name: 'uptimePercentage', nullable: true, description: 'Stored 30-day uptime; null while there is no data. See `uptime` for any window.' })
  /** Time-weighted uptime over the last 30 days; null while there is no data. */
  @prop({ type: Number, default: null, validate: withinBounds(0, 100) })
  public uptime_percentage!: number | null;

  @Field(() => Int, { name: 'consecutiveFailures', description: 'Failed checks in a row.' })
  @prop({ required: true, default: 0, min: 0 })
  public consecutive_failures!: number;

  @Field(() => EnvironmentEnum, { nullable: true, description: 'Copied from the host; null when the stored value is not one this server knows (see problems).' })
  /** Copied from the host; kept in sync when the host moves. */
  @prop({ required: true, type: String, validate: oneOf(ENVIRONMENTS) })
  public environment!: EnvironmentName;

  @Field({ description: 'Copied from the host.' })
  /** Copied from the host; kept in sync when the host moves. */
  @prop({ required: true, validate: matches(patterns.label, 'a region label') })
  public region!: string;

  @Field(() => [String])
  @prop({ type: () => [String], default: [], validate: everyItem(patterns.tag, TAG_RULE) })
  public tags!: string[];

  @Field(() => [String], { name: 'dependencyIds', description: 'service_ids this service depends on.' })
  @prop({ type: () => [String], default: [], validate: everyItem(patterns.id, 'a service_id') })
  public dependencies!: string[];

  /** Not in the seed: when the next scheduled check is due; null while monitoring is off. */
  @Field(() => Date, { name: 'nextCheckAt', nullable: true, description: 'When the next scheduled check is due.' })
  @prop({ type: Date, default: null })
  public next_check_at!: Date | null;

  /** Not in the seed: which worker holds the check of this service, until when (crash: the lease runs out). */
  @prop({ type: String, default: null })
  public lease_owner!: string | null;

  @prop({ type: Date, default: null })
  public lease_until!: Date | null;

  /** Not in the seed: when recent recovery attempts happened, for the attempt limit within the cooldown. */
  @prop({ type: () => [Date], default: [] })
  public recovery_attempts!: Date[];

  /** Not in the seed: set when recovery gave up (limit reached); cleared when the service runs again. */
  @Field(() => Date, { name: 'recoveryGaveUpAt', nullable: true, description: 'Recovery stopped trying at this instant; the service needs a person.' })
  @prop({ type: Date, default: null })
  public recovery_gave_up_at!: Date | null;

  /** Not in the seed: automatic recovery waiting for an operator (environment approval_required), until it expires. */
  @prop({ type: () => RecoveryApproval, _id: false, default: null })
  public recovery_approval!: RecoveryApproval | null;

  /** Not in the seed: the instant this service becomes stale (last check, or creation, plus N intervals). */
  @Field(() => Date, { name: 'staleAt', nullable: true, description: 'When this service counts as stale if not checked again.' })
  @prop({ type: Date, default: null })
  public stale_at!: Date | null;

  @Field(() => Date, { name: 'createdAt' })
  public created_at!: Date;

  @Field(() => Date, { name: 'updatedAt' })
  public updated_at!: Date;

  /** Not stored: what reading the document found wrong with it (see service-read.ts); served as `problems`. */
  public problems?: DataProblem[];
}

export const ServiceModel = getModelForClass(Service);
