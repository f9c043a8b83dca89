import { Field, InputType, Int } from 'type-graphql';
import type { AlertChannel, CheckMethod, EnvironmentName, RecoverAction, ServiceStatus, Severity } from '../../common/enums.js';
import { Connection } from '../../graphql/connection.js';
import { AlertChannelEnum, CheckMethodEnum, EnvironmentEnum, RecoverActionEnum, ServiceStatusEnum, SeverityEnum } from '../../graphql/enums.js';
import type { ServiceInput, ServicePatch } from './service.input.js';
import { Service } from './service.model.js';
import type { ServiceFilter } from './service.service.js';

export const ServiceConnection = Connection(Service, 'Service');

@InputType()
export class MonitoringInput {
  @Field(() => CheckMethodEnum, { nullable: true }) method?: CheckMethod;
  @Field({ nullable: true }) enabled?: boolean;
  @Field(() => Int, { nullable: true }) intervalSec?: number;
  @Field(() => Int, { nullable: true }) timeoutSec?: number;
  @Field(() => Int, { nullable: true }) retryAttempts?: number;
  @Field(() => Int, { nullable: true }) retryDelaySec?: number;
  @Field(() => String, {
    nullable: true,
    description:
      'Credentials may ride in it (postgresql://monitor:secret@db:5432/app); they are never read back. *** keeps the stored value in its place (the password, a user name or token, a parameter); a target without credentials keeps the stored ones (see clearTargetCredentials).',
  })
  target?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: the stored credentials of the target go (a target given here keeps only its own).' })
  clearTargetCredentials?: boolean | null;
  @Field(() => [Int], { nullable: true }) expectedStatus?: number[];
  @Field(() => String, { nullable: true }) bodyContains?: string | null;
  @Field(() => String, { nullable: true }) jsonField?: string | null;
  @Field(() => String, { nullable: true }) jsonValue?: string | null;
  @Field(() => Int, { nullable: true }) tlsExpiryWarningDays?: number;
  @Field(() => Int, { nullable: true }) graceSec?: number;
}

@InputType()
export class RecoveryInput {
  @Field({ nullable: true }) recoverOnDown?: boolean;
  @Field(() => RecoverActionEnum, { nullable: true }) recoverAction?: RecoverAction;
  @Field(() => String, { nullable: true }) customScript?: string | null;
  @Field(() => Int, { nullable: true }) maxRecoveryAttempts?: number;
  @Field(() => Int, { nullable: true }) recoveryCooldownSec?: number;
  @Field({ nullable: true }) notifyBeforeRecovery?: boolean;
}

@InputType()
export class AlertingInput {
  @Field({ nullable: true }) enabled?: boolean;
  @Field(() => [AlertChannelEnum], { nullable: true }) channels?: AlertChannel[];
  @Field(() => SeverityEnum, { nullable: true }) severity?: Severity;
  @Field(() => String, { nullable: true }) escalationPolicy?: string | null;
  @Field(() => Date, { nullable: true }) muteUntil?: Date | null;
  @Field(() => Int, { nullable: true, description: 'Failed checks in a row that open an incident; null: the environment’s, else ALERT_FAILURE_THRESHOLD.' }) failureThreshold?: number | null;
  @Field(() => Int, { nullable: true, description: 'Successful checks in a row that resolve an incident; null: the environment’s, else ALERT_SUCCESS_THRESHOLD.' }) successThreshold?: number | null;
}

@InputType()
export class HealthCheckInput {
  @Field({ nullable: true }) enabled?: boolean;
  @Field(() => String, { nullable: true, description: 'An http(s) URL; credentials in it are write-only, as for monitoring.target.' }) endpoint?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: the stored credentials of the endpoint go.' }) clearEndpointCredentials?: boolean | null;
  @Field(() => String, { nullable: true }) expectedResponse?: string | null;
  @Field(() => String, { nullable: true }) customCheck?: string | null;
}

@InputType({ description: 'Fields of a service; on update every field is optional and nested objects merge.' })
export class ServiceUpdateInput {
  @Field({ nullable: true }) serviceName?: string;
  @Field({ nullable: true }) serviceType?: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => MonitoringInput, { nullable: true }) monitoring?: MonitoringInput;
  @Field(() => RecoveryInput, { nullable: true }) recovery?: RecoveryInput;
  @Field(() => AlertingInput, { nullable: true }) alerting?: AlertingInput;
  @Field(() => HealthCheckInput, { nullable: true }) healthCheck?: HealthCheckInput;
  @Field(() => [String], { nullable: true }) tags?: string[];
  @Field(() => [String], { nullable: true, description: 'serviceIds this service depends on.' }) dependencyIds?: string[];
}

@InputType({ description: 'A new service on an existing host; environment and region come from the host.' })
export class ServiceCreateInput extends ServiceUpdateInput {
  @Field() serviceId!: string;
  @Field() hostId!: string;
  @Field() declare serviceName: string;
}

@InputType({ description: 'Every given criterion must hold.' })
export class ServiceFilterInput {
  @Field({ nullable: true }) hostId?: string;
  @Field(() => EnvironmentEnum, { nullable: true }) environment?: EnvironmentName;
  @Field({ nullable: true }) region?: string;
  @Field(() => ServiceStatusEnum, { nullable: true }) status?: ServiceStatus;
  @Field({ nullable: true }) serviceType?: string;
  @Field({ nullable: true }) tag?: string;
  @Field({ nullable: true, description: 'Monitoring enabled or not.' }) enabled?: boolean;
  @Field(() => Int, { nullable: true }) consecutiveFailuresAtLeast?: number;
  @Field(() => Date, { nullable: true, description: 'Not checked since then, or never (stale).' }) lastCheckBefore?: Date;
  @Field({ nullable: true, description: 'Case-insensitive text in serviceId, serviceName or displayName.' }) search?: string;
}

export function toServiceFilter(filter: ServiceFilterInput | undefined | null): ServiceFilter {
  if (!filter) return {};
  return {
    host_id: filter.hostId,
    environment: filter.environment,
    region: filter.region,
    status: filter.status,
    service_type: filter.serviceType,
    tag: filter.tag,
    enabled: filter.enabled ?? undefined,
    consecutive_failures_at_least: filter.consecutiveFailuresAtLeast,
    last_check_before: filter.lastCheckBefore,
    search: filter.search,
  };
}

export function toServicePatch(input: ServiceUpdateInput): ServicePatch {
  const { monitoring: m, recovery: r, alerting: a, healthCheck: h } = input;
  return {
    service_name: input.serviceName,
    service_type: input.serviceType,
    display_name: input.displayName,
    description: input.description,
    monitoring: m && {
      method: m.method,
      enabled: m.enabled,
      interval_sec: m.intervalSec,
      timeout_sec: m.timeoutSec,
      retry_attempts: m.retryAttempts,
      retry_delay_sec: m.retryDelaySec,
      target: m.target,
      expected_status: m.expectedStatus,
      body_contains: m.bodyContains,
      json_field: m.jsonField,
      json_value: m.jsonValue,
      tls_expiry_warning_days: m.tlsExpiryWarningDays,
      grace_sec: m.graceSec,
    },
    recovery: r && {
      recover_on_down: r.recoverOnDown,
      recover_action: r.recoverAction,
      custom_script: r.customScript,
      max_recovery_attempts: r.maxRecoveryAttempts,
      recovery_cooldown_sec: r.recoveryCooldownSec,
      notify_before_recovery: r.notifyBeforeRecovery,
    },
    alerting: a && {
      enabled: a.enabled,
      channels: a.channels,
      severity: a.severity,
      escalation_policy: a.escalationPolicy,
      mute_until: a.muteUntil,
      failure_threshold: a.failureThreshold,
      success_threshold: a.successThreshold,
    },
    health_check: h && { enabled: h.enabled, endpoint: h.endpoint, expected_response: h.expectedResponse, custom_check: h.customCheck },
    tags: input.tags,
    dependencies: input.dependencyIds,
    clear_credentials: [...(m?.clearTargetCredentials ? (['monitoring.target'] as const) : []), ...(h?.clearEndpointCredentials ? (['health_check.endpoint'] as const) : [])],
  };
}

export function toServiceInput(input: ServiceCreateInput): ServiceInput {
  return { service_id: input.serviceId, host_id: input.hostId, ...toServicePatch(input) } as ServiceInput;
}
