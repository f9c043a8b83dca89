import { setTimeout as sleep } from 'node:timers/promises';
import { isFailureStatus } from '../../common/enums.js';
import type { CheckResult } from '../history/check-result.js';
import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';
import { failed, type Checker, type CheckOutcome } from './checker.js';

export class CheckTimeoutError extends Error {}

/**
 * Runs a check with its timeout per attempt and `retry_attempts` more attempts,
 * `retry_delay_sec` apart, before a failure is declared. The result's timestamp
 * is when the first attempt began; `stop` (shutdown) ends waiting between attempts.
 */
export async function runCheck(checker: Checker, service: Service, host: Host, stop?: AbortSignal): Promise<CheckResult> {
  const { timeout_sec: timeoutSec, retry_attempts: retries, retry_delay_sec: delaySec } = service.monitoring;
  const timestamp = new Date();
  let outcome: CheckOutcome = failed('unknown', 'not checked');
  let elapsedMs = 0;
  let attempts = 0;
  for (attempts = 1; attempts <= retries + 1; attempts++) {
    const started = performance.now();
    outcome = await attempt(checker, service, host, timeoutSec * 1000);
    elapsedMs = performance.now() - started;
    if (!isFailureStatus(outcome.status) || attempts > retries || stop?.aborted) break;
    await sleep(delaySec * 1000, undefined, { signal: stop }).catch(() => {});
  }
  return {
    service_id: service.service_id,
    timestamp,
    status: outcome.status,
    status_code: outcome.status_code,
    response_time_ms: Math.round(elapsedMs * 10) / 10,
    metrics: { ...outcome.metrics, custom: { ...outcome.metrics.custom, attempts: Math.min(attempts, retries + 1) } },
    error: outcome.error,
    error_details: outcome.error_details,
    host_contacted: outcome.host_contacted,
  };
}

async function attempt(checker: Checker, service: Service, host: Host, timeoutMs: number): Promise<CheckOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CheckTimeoutError(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    return await checker.check(service, host, controller.signal);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failed('unknown', controller.signal.aborted ? `check timed out after ${timeoutMs / 1000} s` : message);
  } finally {
    clearTimeout(timer);
  }
}
