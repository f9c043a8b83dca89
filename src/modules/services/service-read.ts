/**
 * Services as today's rules read them, whoever wrote them: the seed's own
 * MongoDBManager writes no next_check_at or stale_at, its migrate script stores
 * whatever `method` an old config.json named. Every service this module serves
 * goes through `readService`: missing fields read as their defaults, derived
 * fields are filled in, and what cannot be used is reported on the service
 * (`problems`) instead of failing the list it is in.
 */
import { ALERT_CHANNELS, CHECK_METHODS, TARGETED_CHECK_METHODS, ENVIRONMENTS, RECOVER_ACTIONS, SERVICE_STATUSES, SEVERITIES } from '../../common/enums.js';
import { DNS_TARGET_NEEDED } from '../../common/dns-target.js';
import { fillTimestamps, readStored, storedShape, type DataProblem, type StoredRead, type StoredShape } from '../../common/validation.js';
import { ServiceModel, type Service } from './service.model.js';
import { staleAt } from './staleness.js';

let shape: StoredShape | undefined;

function serviceShape(): StoredShape {
  shape ??= storedShape(ServiceModel.schema, {
    enums: {
      'monitoring.method': { values: CHECK_METHODS },
      'recovery.recover_action': { values: RECOVER_ACTIONS },
      'alerting.severity': { values: SEVERITIES },
      'alerting.channels': { values: ALERT_CHANNELS },
      // A status this server does not know says as much as `unknown`: nobody can tell how the service is.
      current_status: { values: SERVICE_STATUSES, unknownAs: 'unknown' },
      environment: { values: ENVIRONMENTS },
    },
    integers: ['consecutive_failures'],
    ignore: ['lease_owner', 'lease_until', 'recovery_attempts'],
    secret: ['monitoring.target', 'health_check.endpoint'],
  });
  return shape;
}

export interface ServiceReadSettings {
  readonly staleAfterIntervals: number;
  /** DEFAULT_CHECK_INTERVAL: what a service stored without an interval reads as; unset: the model's 60. */
  readonly defaultCheckInterval?: number;
  /** MAX_RECOVERY_ATTEMPTS: what a service stored without a recovery limit reads as; unset: the model's 3. */
  readonly maxRecoveryAttempts?: number;
}


/** A stored service (lean document) as the API serves it, with what was filled in and what is wrong with it. */
export function readServiceDocument(raw: unknown, settings: ServiceReadSettings, now = new Date()): StoredRead<Service> {
  const read = readStored<Service>(raw, serviceShape());
  fillTimestamps(read as unknown as StoredRead<Record<string, unknown>>);
  applyConfiguredDefaults(read, settings);
  const service = read.doc;
  const { monitoring } = service;
  if (monitoring.enabled) {
    // Written by a tool that knows nothing of our schedule: due at once, stale N intervals after its last check.
    if (!(service.stale_at instanceof Date)) {
      const from = service.last_check ?? service.created_at ?? now;
      service.stale_at = staleAt(from, monitoring.interval_sec, settings.staleAfterIntervals);
      read.filled.push({ field: 'stale_at', value: service.stale_at, how: 'derived' });
    }
    if (!(service.next_check_at instanceof Date)) {
      service.next_check_at = now;
      read.filled.push({ field: 'next_check_at', value: now, how: 'derived' });
    }
  }
  read.problems.push(...crossFieldProblems(service));
  return read;
}

/**
 * A service stored without an interval or a recovery limit (by another tool) reads as one created without them
 * through the API: with the operator's DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS, and a timeout it left out
 * kept within that interval. What db:doctor --fix writes follows.
 */
function applyConfiguredDefaults(read: StoredRead<Service>, settings: ServiceReadSettings): void {
  const { monitoring, recovery } = read.doc;
  const fillDefault = (field: string, value: number): boolean => {
    const index = read.filled.findIndex((filled) => filled.field === field && filled.how === 'default');
    if (index < 0) return false;
    read.filled[index] = { ...read.filled[index]!, value };
    return true;
  };
  const interval = settings.defaultCheckInterval;
  if (interval !== undefined && fillDefault('monitoring.interval_sec', interval)) {
    monitoring.interval_sec = interval;
    const timeout = Math.min(monitoring.timeout_sec, interval);
    if (fillDefault('monitoring.timeout_sec', timeout)) monitoring.timeout_sec = timeout;
  }
  const attempts = settings.maxRecoveryAttempts;
  if (attempts !== undefined && fillDefault('recovery.max_recovery_attempts', attempts)) recovery.max_recovery_attempts = attempts;
}

/** The service model's cross-field rules (its validate hook), as problems: each means the check or recovery cannot run as stored. */
function crossFieldProblems(service: Service): DataProblem[] {
  const problems: DataProblem[] = [];
  const { monitoring, recovery } = service;
  if (monitoring.timeout_sec > monitoring.interval_sec) {
    problems.push({ field: 'monitoring.timeout_sec', message: `must not exceed the check interval (${monitoring.interval_sec} seconds), got ${monitoring.timeout_sec}` });
  }
  if (monitoring.method && TARGETED_CHECK_METHODS.includes(monitoring.method) && !monitoring.target) {
    problems.push({ field: 'monitoring.target', message: `is required for ${monitoring.method} checks: the check cannot run without it` });
  }
  if (monitoring.method === 'dns' && monitoring.target && !/^dns:/i.test(monitoring.target)) {
    problems.push({ field: 'monitoring.target', message: DNS_TARGET_NEEDED });
  }
  if (monitoring.method === 'custom' && !service.health_check?.custom_check) {
    problems.push({ field: 'health_check.custom_check', message: 'is required for custom checks: the name of an allow-listed command' });
  }
  if (recovery.recover_action === 'custom_script' && !recovery.custom_script) {
    problems.push({ field: 'recovery.custom_script', message: 'is required when the recovery action is a custom script' });
  }
  if (service.dependencies.includes(service.service_id)) problems.push({ field: 'dependencies', message: 'a service cannot depend on itself' });
  return problems;
}

/** The service as served, with `problems` set. */
export function readService(raw: unknown, settings: ServiceReadSettings, now = new Date()): Service {
  const { doc, problems } = readServiceDocument(raw, settings, now);
  doc.problems = problems;
  return doc;
}
