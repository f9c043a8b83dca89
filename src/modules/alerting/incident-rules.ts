import type { HostStatus, Severity } from '../../common/enums.js';
import type { MaintenanceWindow } from '../environments/environment.model.js';
import { isWithinMaintenanceWindow } from '../environments/maintenance-window.js';

/** The alerting fields of a service an incident decision needs (as stored; other tools may leave some out). */
export interface ServiceAlerting {
  enabled?: boolean | null;
  severity?: Severity | null;
  mute_until?: Date | null;
  failure_threshold?: number | null;
  success_threshold?: number | null;
}

/** The environment's alerting defaults. */
export interface EnvironmentAlerting {
  alert_severity?: Severity | null;
  maintenance_window?: MaintenanceWindow | null;
  failure_threshold?: number | null;
  success_threshold?: number | null;
}

export interface Thresholds {
  failure: number;
  success: number;
}

/** Per service, else its environment's, else the server's settings (ALERT_FAILURE_THRESHOLD, ALERT_SUCCESS_THRESHOLD). */
export function thresholdsFor(service: ServiceAlerting | null | undefined, environment: EnvironmentAlerting | null | undefined, defaults: Thresholds): Thresholds {
  return {
    failure: service?.failure_threshold ?? environment?.failure_threshold ?? defaults.failure,
    success: service?.success_threshold ?? environment?.success_threshold ?? defaults.success,
  };
}

/** The service's `alerting.severity`, else its environment's `alert_severity`, else medium. */
export function severityFor(service: ServiceAlerting | null | undefined, environment: EnvironmentAlerting | null | undefined): Severity {
  return service?.severity ?? environment?.alert_severity ?? 'medium';
}

export interface SuppressionInputs {
  alerting: ServiceAlerting | null | undefined;
  hostStatus: HostStatus | null | undefined;
  environment: EnvironmentAlerting | null | undefined;
  /** The open incident of a dependency this service's incident follows from, if any. */
  cause: { incident_id: string; service_id: string } | null;
}

/**
 * Why notifications about a service are held back now, or null when they go out. The incident is recorded
 * either way; when the reason ends while it is still open, it is notified then.
 */
export function suppressionReason({ alerting, hostStatus, environment, cause }: SuppressionInputs, now: Date): string | null {
  if (alerting?.enabled === false) return 'alerting disabled';
  if (alerting?.mute_until && +alerting.mute_until > +now) return `muted until ${alerting.mute_until.toISOString()}`;
  if (hostStatus === 'maintenance') return 'host in maintenance';
  if (environment?.maintenance_window && isWithinMaintenanceWindow(environment.maintenance_window, now)) return 'maintenance window';
  if (cause) return `caused by ${cause.service_id} (incident ${cause.incident_id})`;
  return null;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Whether an incident of `severity` reaches a channel that wants `minimum` or above. */
export function meetsSeverity(severity: Severity, minimum: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum];
}
