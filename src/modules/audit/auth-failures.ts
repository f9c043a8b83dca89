import { Types } from 'mongoose';
import type { AuditChannel, AuditTarget } from './audit.model.js';
import type { AuditEntry } from './audit-entry.js';

export interface FailedAuthentication {
  channel: AuditChannel;
  /** The peer's address; null when unknown. */
  address: string | null;
  /** The key id the presented key claims (unverified), when it is shaped like one. */
  claimedKeyId: string | null;
  /** Why it was refused; asked only for the first failure of a window (it may read the database). */
  reason: () => Promise<string> | string;
}

export interface AuthFailureSettings {
  /** One record per source address per window. */
  windowMs: number;
  /** How often the counts of open windows are written. */
  flushEveryMs: number;
  /** Sources tracked at once; failures from more addresses than this are counted under one record with no address. */
  maxSources: number;
}

export const DEFAULT_AUTH_FAILURE_SETTINGS: AuthFailureSettings = { windowMs: 60_000, flushEveryMs: 5_000, maxSources: 10_000 };

interface Window {
  id: Types.ObjectId;
  opened: number;
  /** Failures after the first not yet written. */
  pending: number;
  last: Date;
  targets: Map<string, AuditTarget>;
  newTargets: AuditTarget[];
}

/** Key ids one record names at most. */
const MAX_CLAIMED_KEYS = 20;
const OVERFLOW = '*';

/**
 * Failed authentications, at most one record per source address per window (a minute), with a count:
 * the first failure is written at once, the others only add to its count (written every few seconds,
 * and when the window closes), so a flood of bad keys costs a handful of writes. Per process: with
 * several API processes an address may get one record per process per window.
 */
export class AuthFailureLog {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: {
      insert: (entry: AuditEntry & { id: Types.ObjectId }, reason: () => Promise<string> | string) => void;
      update: (id: Types.ObjectId, update: Record<string, unknown>) => void;
    },
    private readonly settings: AuthFailureSettings = DEFAULT_AUTH_FAILURE_SETTINGS,
    private readonly clock: () => number = Date.now,
  ) {}

  note(failure: FailedAuthentication): void {
    const now = this.clock();
    let source = failure.address ?? '';
    const open = this.windows.get(source);
    if (open && now - open.opened < this.settings.windowMs) {
      open.pending += 1;
      open.last = new Date(now);
      this.addTarget(open, failure.claimedKeyId);
      return;
    }
    if (open) this.close(source, open);
    if (!this.windows.has(source) && this.windows.size >= this.settings.maxSources) {
      source = OVERFLOW;
      const overflow = this.windows.get(OVERFLOW);
      if (overflow && now - overflow.opened < this.settings.windowMs) {
        overflow.pending += 1;
        overflow.last = new Date(now);
        return;
      }
      if (overflow) this.close(OVERFLOW, overflow);
    }
    const window: Window = { id: new Types.ObjectId(), opened: now, pending: 0, last: new Date(now), targets: new Map(), newTargets: [] };
    this.addTarget(window, failure.claimedKeyId);
    window.newTargets = [];
    this.windows.set(source, window);
    this.sink.insert(
      {
        id: window.id,
        at: new Date(now),
        actor: { type: 'anonymous' },
        channel: failure.channel,
        operation: 'authenticate',
        targets: [...window.targets.values()],
        outcome: 'failure',
        errorCode: 'UNAUTHENTICATED',
        clientAddress: source === OVERFLOW ? null : failure.address,
      },
      failure.reason,
    );
    this.timer ??= setInterval(() => this.flush(), this.settings.flushEveryMs);
    this.timer.unref();
  }

  /** Writes every count not yet written, and forgets windows that are over. */
  flush(): void {
    const now = this.clock();
    for (const [source, window] of this.windows) {
      if (now - window.opened >= this.settings.windowMs) this.close(source, window);
      else this.writeCount(window);
    }
    if (this.windows.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  stop(): void {
    for (const [source, window] of this.windows) this.close(source, window);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private close(source: string, window: Window): void {
    this.writeCount(window);
    this.windows.delete(source);
  }

  private writeCount(window: Window): void {
    if (window.pending === 0 && window.newTargets.length === 0) return;
    const update: Record<string, unknown> = { $inc: { count: window.pending }, $set: { last_at: window.last } };
    if (window.newTargets.length > 0) update.$addToSet = { targets: { $each: window.newTargets } };
    this.sink.update(window.id, update);
    window.pending = 0;
    window.newTargets = [];
  }

  private addTarget(window: Window, keyId: string | null): void {
    if (!keyId || window.targets.has(keyId) || window.targets.size >= MAX_CLAIMED_KEYS) return;
    const target = { type: 'api_key', id: keyId };
    window.targets.set(keyId, target);
    window.newTargets.push(target);
  }
}
