import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface KeyLimits {
  /** Operations one API key may start per second (in this process). */
  requestsPerSecond: number;
  /** Operations of one API key that may run at once (in this process). */
  concurrent: number;
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; error: GraphQLError };

export const RATE_LIMITED = 'RATE_LIMITED';

/**
 * The per-key limits, shared by HTTP requests and WebSocket subscriptions of one process: a rate
 * (rate-limiter-flexible, a fixed one-second window per key) and a count of operations under way. A refusal is
 * a RATE_LIMITED error saying when to come back (HTTP 429 with Retry-After; `extensions.retryAfter` in seconds).
 */
export class KeyLimiter {
  private readonly rate: RateLimiterMemory;
  private readonly running = new Map<string, number>();

  constructor(readonly limits: KeyLimits) {
    this.rate = new RateLimiterMemory({ points: limits.requestsPerSecond, duration: 1 });
  }

  /** Admits one operation of `keyId` (call `release` once it is done), or refuses it. */
  async admit(keyId: string): Promise<Admission> {
    const running = this.running.get(keyId) ?? 0;
    if (running >= this.limits.concurrent) {
      return { admitted: false, error: rateLimited(`This API key already has ${running} operations under way; at most ${this.limits.concurrent} may run at once.`, 1) };
    }
    // Counted before the (asynchronous) rate check, so operations arriving together cannot all pass the count.
    this.running.set(keyId, running + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.running.get(keyId) ?? 1) - 1;
      if (left > 0) this.running.set(keyId, left);
      else this.running.delete(keyId);
    };
    try {
      await this.rate.consume(keyId);
    } catch (error) {
      release();
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      return { admitted: false, error: rateLimited(`Too many requests for this API key: at most ${this.limits.requestsPerSecond} a second.`, retryAfter) };
    }
    return { admitted: true, release };
  }

  /** Operations under way for this key (for tests). */
  runningFor(keyId: string): number {
    return this.running.get(keyId) ?? 0;
  }
}

function rateLimited(message: string, retryAfterSec: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: RATE_LIMITED,
      retryAfter: retryAfterSec,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSec)]]) },
    },
  });
}
