/** The nested configuration of a service: the seed's monitoring, recovery, alerting and health_check objects. */
import { prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import {
  ALERT_CHANNELS,
  CHECK_METHODS,
  RECOVER_ACTIONS,
  SEVERITIES,
  type AlertChannel,
  type CheckMethod,
  type RecoverAction,
  type Severity,
} from '../../common/enums.js';
import { dnsTargetRules } from '../../common/dns-target.js';
import { isCheckTarget, isHttpUrl, patterns } from '../../common/validation.js';
import { everyInRange, everyOneOf, matches, oneOf, satisfies, withinRange, maxLength } from '../../db/validators.js';
import { AlertChannelEnum, CheckMethodEnum, RecoverActionEnum, SeverityEnum } from '../../graphql/enums.js';

export const serviceLimits = {
  intervalSec: { min: 5, max: 86_400 },
  timeoutSec: { min: 1, max: 600 },
  retryAttempts: { min: 0, max: 10 },
  retryDelaySec: { min: 0, max: 600 },
  maxRecoveryAttempts: { min: 0, max: 100 },
  recoveryCooldownSec: { min: 0, max: 604_800 },
  graceSec: { min: 0, max: 604_800 },
  /** Characters of a check target or health endpoint. */
  targetLength: 2048,
} as const;

const L = serviceLimits;

/** Read through the API by MonitoringConfigResolver / HealthCheckConfigResolver (service.resolver.ts), which mask them. */
const CREDENTIALS_READ_MASKED =
  'Credentials read ***: the password of a URL (postgresql://monitor:***@db:5432/app), a user name without a password (a token: https://***@host/), secret query parameters (?password=***). Written back, *** keeps the stored value; a target written without credentials keeps the stored ones.';

@ObjectType({ description: 'How and how often a service is checked.' })
export class MonitoringConfig {
  @Field(() => CheckMethodEnum, { nullable: true, description: 'Null when the stored method is not one this server knows: the service cannot be checked (see Service.problems).' })
  @prop({ required: true, type: String, default: 'ssh', validate: oneOf(CHECK_METHODS) })
  public method!: CheckMethod;

  @Field()
  @prop({ required: true, default: true })
  public enabled!: boolean;

  @Field(() => Int, { name: 'intervalSec' })
  @prop({ required: true, default: 60, validate: withinRange(L.intervalSec.min, L.intervalSec.max, 'seconds') })
  public interval_sec!: number;

  @Field(() => Int, { name: 'timeoutSec' })
  @prop({ required: true, default: 30, validate: withinRange(L.timeoutSec.min, L.timeoutSec.max, 'seconds') })
  public timeout_sec!: number;

  @Field(() => Int, { name: 'retryAttempts', description: 'Extra attempts before a check is declared failed.' })
  @prop({ required: true, default: 3, validate: withinRange(L.retryAttempts.min, L.retryAttempts.max, 'a count') })
  public retry_attempts!: number;

  @Field(() => Int, { name: 'retryDelaySec' })
  @prop({ required: true, default: 5, validate: withinRange(L.retryDelaySec.min, L.retryDelaySec.max, 'seconds') })
  public retry_delay_sec!: number;

  /** Not in the seed: what the http, tcp, database and ping checks reach (a ping without one pings the host). */
  @Field(() => String, {
    nullable: true,
    description: `For http, tcp, database, ping and dns checks: http(s)://..., tcp://host:port, postgresql://, mysql://, redis:// or mongodb:// URL, ping://name-or-address, or a DNS URI (dns://192.0.2.53/example.org?type=MX&expect=mail.example.org; dns:example.org asks the system resolver). ${CREDENTIALS_READ_MASKED}`,
  })
  @prop({
    type: String,
    default: null,
    validate: [maxLength(L.targetLength), satisfies(isCheckTarget, 'a URL with scheme http, https, tcp, postgresql, mysql, redis, mongodb, ping or dns', { secret: true }), dnsTargetRules],
  })
  public target!: string | null;

  @Field(() => [Int], { name: 'expectedStatus', description: 'HTTP status codes that count as up; empty: any 2xx or 3xx.' })
  @prop({ type: () => [Number], default: [], validate: everyInRange(100, 599) })
  public expected_status!: number[];

  @Field(() => String, { name: 'bodyContains', nullable: true, description: 'HTTP: text the body must contain.' })
  @prop({ type: String, default: null, validate: maxLength(1024) })
  public body_contains!: string | null;

  @Field(() => String, { name: 'jsonField', nullable: true, description: 'HTTP: dotted path of a JSON field to compare with jsonValue.' })
  @prop({ type: String, default: null, validate: matches(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted JSON path such as status.db') })
  public json_field!: string | null;

  @Field(() => String, { name: 'jsonValue', nullable: true })
  @prop({ type: String, default: null, validate: maxLength(1024) })
  public json_value!: string | null;

  @Field(() => Int, { name: 'graceSec', description: 'Heartbeat: how late a ping, or the end of a run begun with /start, may be before the service is down.' })
  @prop({ required: true, default: 60, validate: withinRange(L.graceSec.min, L.graceSec.max, 'seconds') })
  public grace_sec!: number;

  @Field(() => Int, { name: 'tlsExpiryWarningDays', description: 'HTTPS: a certificate expiring within this many days makes the check a warning.' })
  @prop({ required: true, default: 14, validate: withinRange(0, 3650, 'days') })
  public tls_expiry_warning_days!: number;
}

@ObjectType({ description: 'What is done, and how often, when a service is found down.' })
export class RecoveryConfig {
  @Field({ name: 'recoverOnDown' })
  @prop({ required: true, default: false })
  public recover_on_down!: boolean;

  @Field(() => RecoverActionEnum, { name: 'recoverAction', nullable: true, description: 'Null when the stored action is not one this server knows (see Service.problems).' })
  @prop({ required: true, type: String, default: 'restart', validate: oneOf(RECOVER_ACTIONS) })
  public recover_action!: RecoverAction;

  @Field(() => String, { name: 'customScript', nullable: true, description: 'Name of an allow-listed recovery script.' })
  /** Name of an entry in the server's allow-list, never a command line. */
  @prop({ type: String, default: null, validate: matches(patterns.allowListName, 'the name of an allow-listed script') })
  public custom_script!: string | null;

  @Field(() => Int, { name: 'maxRecoveryAttempts' })
  @prop({ required: true, default: 3, validate: withinRange(L.maxRecoveryAttempts.min, L.maxRecoveryAttempts.max, 'a count') })
  public max_recovery_attempts!: number;

  @Field(() => Int, { name: 'recoveryCooldownSec' })
  @prop({ required: true, default: 300, validate: withinRange(L.recoveryCooldownSec.min, L.recoveryCooldownSec.max, 'seconds') })
  public recovery_cooldown_sec!: number;

  @Field({ name: 'notifyBeforeRecovery' })
  @prop({ required: true, default: true })
  public notify_before_recovery!: boolean;
}

@ObjectType({ description: 'Where and how loudly problems are announced.' })
export class AlertingConfig {
  @Field()
  @prop({ required: true, default: true })
  public enabled!: boolean;

  @Field(() => [AlertChannelEnum])
  @prop({ type: () => [String], default: ['email'], validate: everyOneOf(ALERT_CHANNELS) })
  public channels!: AlertChannel[];

  @Field(() => SeverityEnum, { nullable: true, description: 'Null when the stored severity is not one this server knows (see Service.problems).' })
  @prop({ required: true, type: String, default: 'medium', validate: oneOf(SEVERITIES) })
  public severity!: Severity;

  @Field(() => String, { name: 'escalationPolicy', nullable: true })
  @prop({ type: String, default: null, validate: matches(patterns.label, 'a policy name') })
  public escalation_policy!: string | null;

  @Field(() => Date, { name: 'muteUntil', nullable: true, description: 'Alerts are silenced until then.' })
  @prop({ type: Date, default: null })
  public mute_until!: Date | null;

  /** Not in the seed: null takes the environment's, then the server's (ALERT_FAILURE_THRESHOLD). */
  @Field(() => Int, { name: 'failureThreshold', nullable: true, description: 'Failed checks in a row that open an incident; null: the environment’s, else ALERT_FAILURE_THRESHOLD.' })
  @prop({ type: Number, default: null, validate: withinRange(1, 1000, 'a count') })
  public failure_threshold!: number | null;

  @Field(() => Int, { name: 'successThreshold', nullable: true, description: 'Successful checks in a row that resolve an incident; null: the environment’s, else ALERT_SUCCESS_THRESHOLD.' })
  @prop({ type: Number, default: null, validate: withinRange(1, 1000, 'a count') })
  public success_threshold!: number | null;
}

@ObjectType({ description: 'An optional deeper check beside the status check.' })
export class HealthCheckConfig {
  @Field()
  @prop({ required: true, default: false })
  public enabled!: boolean;

  @Field(() => String, { nullable: true, description: `An http(s) URL. ${CREDENTIALS_READ_MASKED}` })
  @prop({ type: String, default: null, validate: [maxLength(L.targetLength), satisfies(isHttpUrl, 'an http(s) URL', { secret: true })] })
  public endpoint!: string | null;

  @Field(() => String, { name: 'expectedResponse', nullable: true })
  @prop({ type: String, default: null, validate: maxLength(1024) })
  public expected_response!: string | null;

  @Field(() => String, { name: 'customCheck', nullable: true })
  /** Name of an allow-listed custom check. */
  @prop({ type: String, default: null, validate: matches(patterns.allowListName, 'the name of an allow-listed check') })
  public custom_check!: string | null;
}
