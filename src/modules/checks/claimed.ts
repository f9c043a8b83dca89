/**
 * Claimed services and their hosts as the engine checks them: read through the same routine as the API
 * (services/service-read.ts, hosts/host-read.ts), whoever wrote them. A seed service without timeout_sec or
 * retry fields gets their defaults, a host without `status` is active; what keeps a check from running as
 * stored (an unknown method, a missing target...) is recorded as `unknown` with the reason, never thrown.
 */
import type { DataProblem } from '../../common/validation.js';
import { apiFieldPath } from '../../graphql/errors.js';
import { serviceLimits, type Service } from '../services/service.model.js';
import type { FinishedCheck } from './run-check.js';

/** Stored fields whose problem means the check cannot run as stored (problems elsewhere are reported on the service only). */
const CHECK_FIELDS = new Set(['monitoring', 'monitoring.method', 'monitoring.target', 'health_check.custom_check']);

/**
 * What keeps the check of a service (as read by the API's routine, `problems` set) from running as stored: an
 * unknown or missing method, a missing or unusable target, a custom check without its command, an SSH unit
 * name that is not one, an interval or timeout under a second. Empty when the check can run; problems
 * elsewhere (an unknown severity, an interval under the API's minimum...) are reported on the service only.
 */
export function checkBlockers(service: Service): DataProblem[] {
  const problems = service.problems ?? [];
  const { monitoring } = service;
  const blockers = problems.filter((p) => CHECK_FIELDS.has(p.field) || (p.field === 'service_name' && monitoring.method === 'ssh'));
  for (const field of ['interval_sec', 'timeout_sec'] as const) {
    if (monitoring[field] >= 1) continue;
    const limits = field === 'interval_sec' ? serviceLimits.intervalSec : serviceLimits.timeoutSec;
    blockers.push(problems.find((p) => p.field === `monitoring.${field}`) ?? { field: `monitoring.${field}`, message: `must be between ${limits.min} and ${limits.max} seconds, got ${monitoring[field]}` });
  }
  return blockers;
}

/** The result of a check that could not run as stored: `unknown`, saying which stored values stopped it (by their API names: every role reads it). */
export function notRunnable(service: Service, blockers: readonly DataProblem[], startedAt = new Date()): FinishedCheck {
  return {
    service_id: service.service_id,
    timestamp: startedAt,
    status: 'unknown',
    status_code: null,
    response_time_ms: 0,
    metrics: { custom: { attempts: 0 } },
    error: `not checked, the service is misconfigured as stored: ${blockers.map((p) => `${apiFieldPath(p.field)} ${p.message}`).join('; ')}`,
    error_details: null,
    host_contacted: false,
    finished_at: Date.now(),
  };
}
