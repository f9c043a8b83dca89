import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode } from '@opentelemetry/api';
import { isFailureStatus } from '../../common/enums.js';
import { scrubText, secretsOfTarget } from '../../common/secrets.js';
import { withSpan } from '../../observability/tracing.js';
import type { CheckResult } from '../history/check-result.js';
import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';
import { failed, failureKindOf, type Checker, type CheckOutcome } from './checker.js';
import { SshConnectError } from './ssh/ssh-pool.js';
import { SshMisconfiguredError } from './ssh/ssh-targets.js';

export class CheckTimeoutError extends Error {}

/**
 * Share of the interval a check may take, retries and their delays included: the rest is the margin that
 * keeps a service checked at its interval (writing the result, claiming the next run).
 */
export const CHECK_BUDGET_SHARE = 0.9;

/** How long one check of this service may take in all, retries and delays included. */
export function checkBudgetMs(service: Pick<Service, 'monitoring'>): number {
  return service.monitoring.interval_sec * 1000 * CHECK_BUDGET_SHARE;
}

/** A finished check: the result to record, and when it finished (the result's timestamp is when it began). */
export interface FinishedCheck extends CheckResult {
  /** Not stored: when the last attempt ended (epoch ms). */
  finished_at: number;
  /** Not stored: when the checker asked to look again (CheckOutcome.next_due_at). */
  next_due_at?: Date;
}

/**
 * Runs a check: `timeout_sec` per attempt (never more than the check's budget), then up to `retry_attempts`
 * more attempts `retry_delay_sec` apart, only while the failure is transient and the next attempt, timing out,
 * would still end within the budget (`CHECK_BUDGET_SHARE` of the interval). A definitive answer is final at
 * once. A timed-out attempt is an `error` ("timed out after N s"); `unknown` is left for checks that could not
 * run. `stop` (shutdown) ends waiting between attempts. Traced as one span, `check <method>`, failed when the
 * check finds a failure.
 */
export function runCheck(checker: Checker | undefined, service: Service, host: Host, stop?: AbortSignal): Promise<FinishedCheck> {
  const attributes = { 'check.service_id': service.service_id, 'check.host_id': host.host_id, 'check.method': service.monitoring.method };
  return withSpan(`check ${service.monitoring.method}`, attributes, async (span) => {
    const check = await checkWithRetries(checker, service, host, stop);
    span.setAttributes({ 'check.status': check.status, 'check.attempts': Number(check.metrics?.custom?.attempts ?? 0) });
    // What the check found, not an exception of ours: a failed span, with the (scrubbed) error as its message.
    if (isFailureStatus(check.status)) span.setStatus({ code: SpanStatusCode.ERROR, message: check.error ?? check.status });
    return check;
  });
}

async function checkWithRetries(checker: Checker | undefined, service: Service, host: Host, stop?: AbortSignal): Promise<FinishedCheck> {
  const { timeout_sec: timeoutSec, retry_attempts: retries, retry_delay_sec: delaySec } = service.monitoring;
  const budgetMs = checkBudgetMs(service);
  const timeoutMs = Math.min(timeoutSec * 1000, budgetMs);
  const delayMs = delaySec * 1000;
  const timestamp = new Date();
  const began = performance.now();
  let outcome: CheckOutcome = failed('unknown', `no checker for ${service.monitoring.method}`, 'definitive');
  let elapsedMs = 0;
  let attempts = 0;
  while (checker) {
    attempts++;
    const started = performance.now();
    outcome = await attempt(checker, service, host, timeoutMs);
    elapsedMs = performance.now() - started;
    if (!isFailureStatus(outcome.status) || !outcome.transient || attempts > retries || stop?.aborted) break;
    if (performance.now() - began + delayMs + timeoutMs > budgetMs) break;
    await sleep(delayMs, undefined, { signal: stop }).catch(() => {});
  }
  return {
    service_id: service.service_id,
    timestamp,
    status: outcome.status,
    status_code: outcome.status_code,
    response_time_ms: Math.round(elapsedMs * 10) / 10,
    metrics: { ...outcome.metrics, custom: { ...outcome.metrics.custom, attempts } },
    ...scrubbedErrors(outcome, service, host),
    host_contacted: outcome.host_contacted,
    finished_at: Date.now(),
    ...(outcome.next_due_at ? { next_due_at: outcome.next_due_at } : {}),
  };
}

/**
 * The secrets a check of this service could echo: the passwords and tokens of its target and health
 * endpoint, and its host's key path. Check errors reach every role (history, runCheck, live events).
 */
export function checkSecrets(service: Pick<Service, 'monitoring' | 'health_check'>, host: Pick<Host, 'ssh_config'> | null | undefined): string[] {
  return [...secretsOfTarget(service.monitoring?.target), ...secretsOfTarget(service.health_check?.endpoint), ...(host?.ssh_config?.key_path ? [host.ssh_config.key_path] : [])];
}

/**
 * A check's error and details as they may be recorded: known secrets, URL credentials and `password=`
 * pairs masked, and no file path of the monitor in the error (a driver or library message may name one).
 * The details (command output of the monitored host) keep their paths, but for those that look like key material.
 */
function scrubbedErrors(outcome: CheckOutcome, service: Service, host: Host): Pick<CheckOutcome, 'error' | 'error_details'> {
  const secrets = checkSecrets(service, host);
  return { error: scrubText(outcome.error, { secrets, paths: true }), error_details: scrubText(outcome.error_details, { secrets, keyPaths: true }) };
}

/** The stored part of a finished check. */
export function resultOf(check: FinishedCheck): CheckResult {
  const { finished_at: _finishedAt, next_due_at: _nextDueAt, ...result } = check;
  return result;
}

async function attempt(checker: Checker, service: Service, host: Host, timeoutMs: number): Promise<CheckOutcome> {
  const seconds = Math.round(timeoutMs / 100) / 10;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CheckTimeoutError(`timed out after ${seconds} s`)), timeoutMs);
  try {
    return await checker.check(service, host, controller.signal);
  } catch (error) {
    // A target that does not answer in time is down as far as anyone using it can tell.
    if (controller.signal.aborted) return failed('error', `check timed out after ${seconds} s`, 'transient');
    const message = error instanceof Error ? error.message : String(error);
    // Could not run the check at all: nothing is known of the service.
    if (error instanceof SshMisconfiguredError) return failed('unknown', message, 'definitive');
    if (error instanceof SshConnectError) return failed('unknown', message, error.transient ? 'transient' : 'definitive');
    return failed('unknown', message, failureKindOf(error));
  } finally {
    clearTimeout(timer);
  }
}
