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
}

/** One check protocol. Registered once in registry.ts; must honour the abort signal (the check's timeout). */
export interface Checker {
  readonly method: CheckMethod;
  check(service: Service, host: Host, signal: AbortSignal): Promise<CheckOutcome>;
}

export function failed(status: ServiceStatus, error: string, details: string | null = null, extra: Partial<CheckOutcome> = {}): CheckOutcome {
  return { status, status_code: 1, error, error_details: details, metrics: {}, host_contacted: false, ...extra };
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
