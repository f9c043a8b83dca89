/**
 * The seed's closed vocabularies. Stored values are the seed's strings, so a
 * database written by its Python tooling reads unchanged.
 */
export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export const HOST_STATUSES = ['active', 'maintenance', 'decommissioned'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export const SERVICE_STATUSES = ['running', 'stopped', 'unknown', 'error', 'warning'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

export const CHECK_METHODS = ['ssh', 'http', 'tcp', 'database', 'custom', 'ping', 'dns', 'heartbeat'] as const;
export type CheckMethod = (typeof CHECK_METHODS)[number];
/** Checks that log in to the host: they need its sshConfig. */
export const SSH_CHECK_METHODS: readonly CheckMethod[] = ['ssh', 'custom'];
/** Checks that cannot run without `monitoring.target`. */
export const TARGETED_CHECK_METHODS: readonly CheckMethod[] = ['http', 'tcp', 'database', 'dns'];

export const RECOVER_ACTIONS = ['restart', 'reload', 'stop', 'start', 'custom_script'] as const;
export type RecoverAction = (typeof RECOVER_ACTIONS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_CHANNELS = ['slack', 'email', 'pagerduty', 'webhook', 'alertmanager'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

export const CHECK_TYPES = ['status_check', 'health_check', 'performance'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A check that did not find the service healthy. `warning` means degraded but
 * serving, so it neither breaks a run of successes nor counts as downtime.
 */
export function isFailureStatus(status: ServiceStatus): boolean {
  return status === 'stopped' || status === 'error' || status === 'unknown';
}

/**
 * The check ran and found the service down (`stopped`, `error`): what recovery acts on. `unknown` (the check
 * could not run: misconfiguration, an unreachable SSH host) is a failure but never down, so never recovered.
 */
export function isDownStatus(status: ServiceStatus): boolean {
  return status === 'stopped' || status === 'error';
}

/** Whether a status counts as up (true), down (false) or carries no information (null) for uptime. */
export function uptimeClass(status: ServiceStatus): boolean | null {
  if (status === 'running' || status === 'warning') return true;
  if (status === 'stopped' || status === 'error') return false;
  return null;
}
