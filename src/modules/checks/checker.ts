import type { CheckMethod, ServiceStatus } from '../../common/enums.js';
import type { CheckMetrics } from '../history/history.model.js';
import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';

/** What one attempt of a check found. */
export interface CheckOutcome {
  status: ServiceStatus;
  /** 0 = success, > 0 = error (exit code, HTTP status...). */
  status_code: number | null;
  error: string | null;
  error_details: string | null;
  metrics: Partial<CheckMetrics>;
  /** The checker reached the host over SSH. */
  host_contacted: boolean;
  /**
   * Whether another attempt could answer otherwise: a timeout, a refused or reset connection, a 5xx, a
   * temporary DNS failure. Only those are retried; a definitive answer (auth refused, unknown host key, no
   * key configured, an unexpected 4xx, a unit inactive or failed) is recorded at once. False on success.
   */
  transient: boolean;
  /** When the check must look again, for a checker that knows (a heartbeat's deadline); else its interval decides. */
  next_due_at?: Date;
}

/** One check protocol. Registered once in registry.ts; must honour the abort signal (the check's timeout). */
export interface Checker {
  readonly method: CheckMethod;
  check(service: Service, host: Host, signal: AbortSignal): Promise<CheckOutcome>;
}

/** Whether trying again may give another answer. */
export type FailureKind = 'transient' | 'definitive';

/**
 * A failed attempt. `unknown` is for checks that could not run at all (misconfiguration: no key, a command
 * not in the allow-list, a target without a port...); a service that answered wrongly is `stopped` or `error`.
 */
export function failed(status: ServiceStatus, error: string, kind: FailureKind, extra: Partial<CheckOutcome> = {}): CheckOutcome {
  return { status, status_code: 1, error, error_details: null, metrics: {}, host_contacted: false, ...extra, transient: kind === 'transient' };
}

/** A healthy (or degraded but serving) answer. */
export function succeeded(extra: Partial<CheckOutcome> = {}): CheckOutcome {
  return { status: 'running', status_code: 0, error: null, error_details: null, metrics: {}, host_contacted: false, ...extra, transient: false };
}

/**
 * Error codes that say nothing lasting about the target: the next attempt may well get through. Network
 * failures, and a database's own "starting up" / "too many connections". ENOTFOUND (no such name),
 * authentication refusals (28P01, ER_ACCESS_DENIED_ERROR...) and certificate errors are answers, not in the list.
 */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'ESOCKETTIMEDOUT',
  '57P03', // postgres: the database system is starting up
  '53300', // postgres: too many connections
  'ER_CON_COUNT_ERROR', // mysql: too many connections
]);

/** The first error code (a string) on an error or what it wraps (driver errors often wrap the socket's). */
export function errorCode(error: unknown): string | null {
  for (let e = error as (Error & { code?: unknown; cause?: unknown; errors?: unknown[] }) | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && e.code) return e.code;
    const inMessage = typeof e.message === 'string' ? /\b(E(?:CONNREFUSED|CONNRESET|AI_AGAIN|TIMEDOUT|PIPE|CONNABORTED|HOSTUNREACH|NETUNREACH|NOTFOUND))\b/.exec(e.message) : null;
    if (inMessage) return inMessage[1]!;
    const nested = Array.isArray(e.errors) ? e.errors[0] : undefined;
    e = (e.cause ?? nested) as typeof e;
  }
  return null;
}

/** Transient when the error (or what it wraps) is a failure that may clear by itself; otherwise an answer. */
export function failureKindOf(error: unknown): FailureKind {
  const code = errorCode(error);
  return code && TRANSIENT_CODES.has(code) ? 'transient' : 'definitive';
}

/** Rejects with a timeout error when the signal fires first. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
