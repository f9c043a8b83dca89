import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { NotificationChannel } from './channel.model.js';
import type { ChannelService } from './channel.service.js';
import { DeliveryError, summarize, type AlertMessage, type ChannelSender } from './channels/channel.js';
import { channelSenders } from './channels/registry.js';
import { appendTimeline, briefsFor, timelineEntry } from './incident-log.js';
import { NotificationModel, type Notification } from './outbox.model.js';

export interface SenderSettings {
  /** One delivery attempt at most this long. */
  timeoutMs: number;
  /** Attempts before a retryable failure is given up. */
  maxAttempts: number;
  /** Backoff after the n-th failed attempt: base * 2^(n-1), at most max, with up to 20% jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a claimed notification is this process's; a process that dies leaves it to others after this. */
  leaseMs: number;
  /** How often the queue is looked at when nothing woke the sender. */
  pollMs: number;
  /** Messages under way at once (a slow channel holds only its own). */
  concurrency: number;
  /** Entries of the same channel and group due within this much of the first go out with it. */
  groupWindowMs: number;
}

export const DEFAULT_SENDER_SETTINGS: SenderSettings = {
  timeoutMs: 10_000,
  maxAttempts: 12,
  backoffBaseMs: 1_000,
  backoffMaxMs: 10 * 60_000,
  leaseMs: 60_000,
  pollMs: 1_000,
  concurrency: 8,
  groupWindowMs: 2_000,
};

export interface Delivery {
  channel_id: string;
  event: Notification['event'];
  notification_ids: string[];
  outcome: 'sent' | 'retry' | 'failed' | 'waiting';
  error: string | null;
}

/**
 * Sends what the outbox holds: claims a due entry with a lease, with it every entry of the same channel, group
 * and event due within the group window, sends them as one message, and records the outcome on the entries and
 * on their incidents' timelines. Any number of processes may run one; each entry is claimed by one at a time.
 */
export class OutboxSender {
  private readonly owner = randomUUID();
  private readonly limiters = new Map<number, RateLimiterMongo>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private readonly listeners = new Set<(delivery: Delivery) => void>();
  /** Claims of this process run one after another, so two of its workers never split one group between them. */
  private claiming: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly channels: ChannelService,
    private readonly settings: SenderSettings = DEFAULT_SENDER_SETTINGS,
    private readonly logger: Logger = silentLogger,
    private readonly senders: Record<string, ChannelSender> = channelSenders,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Called with every delivery's outcome (tests and the benchmark watch them). */
  observe(listener: (delivery: Delivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends every message due now, `concurrency` at a time; resolves with how many went out. */
  async sendDue(now = () => new Date()): Promise<number> {
    let sent = 0;
    // Once a claim finds nothing due, the other workers stop too: an idle poll costs one query, not one per worker.
    let drained = false;
    const worker = async () => {
      while (!drained) {
        const claimed = await this.claimInTurn(now, () => drained);
        if (!claimed) {
          drained = true;
          return;
        }
        if ((await this.deliver(claimed, now())) === 'sent') sent++;
      }
    };
    await Promise.all(Array.from({ length: this.settings.concurrency }, worker));
    return sent;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.sendDue()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn('sending notifications failed; trying again', { reason: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          this.running = null;
          this.schedule(this.settings.pollMs);
        });
    }, delayMs);
  }

  private claimInTurn(now: () => Date, drained: () => boolean = () => false): Promise<{ token: string; entries: Notification[] } | null> {
    const turn = this.claiming.then(() => (drained() ? null : this.claim(now())));
    this.claiming = turn.catch(() => undefined);
    return turn;
  }

  /** One due entry and its group, leased under a token of this claim; null when nothing is due. */
  private async claim(now: Date): Promise<{ token: string; entries: Notification[] } | null> {
    const token = `${this.owner}:${randomUUID()}`;
    const lease = { lease_owner: token, lease_until: new Date(+now + this.settings.leaseMs) };
    const free = { $or: [{ lease_until: null }, { lease_until: { $lt: now } }] };
    const first = await NotificationModel.findOneAndUpdate({ state: 'pending', not_before: { $lte: now }, ...free }, { $set: lease }, { sort: { not_before: 1 }, returnDocument: 'after' }).lean<Notification>();
    if (!first) return null;
    await NotificationModel.updateMany(
      { channel_id: first.channel_id, group_key: first.group_key, event: first.event, state: 'pending', not_before: { $lte: new Date(+now + this.settings.groupWindowMs) }, ...free },
      { $set: lease },
    );
    // Found through the group's own index: a filter on the lease alone read every stored notification.
    const entries = await NotificationModel.find({ channel_id: first.channel_id, group_key: first.group_key, event: first.event, state: 'pending', lease_owner: token })
      .sort({ created_at: 1 })
      .limit(1_000)
      .lean<Notification[]>();
    return { token, entries: entries.length ? entries : [first] };
  }

  private async deliver({ token, entries }: { token: string; entries: Notification[] }, now: Date): Promise<Delivery['outcome']> {
    const first = entries[0]!;
    const channel = await this.channels.get(first.channel_id);
    if (!channel) return this.finish(token, entries, null, 'failed', 'the channel was deleted', now);
    if (!channel.enabled) return this.release(token, entries, new Date(+now + 60_000), 'waiting', null);
    const waitMs = await this.rateLimitWait(channel);
    if (waitMs > 0) return this.release(token, entries, new Date(+now + waitMs), 'waiting', null);
    const message = await this.message(entries, now);
    if (first.incident_id !== null && message.incidents.length === 0 && first.event !== 'recovery_notice') return this.finish(token, entries, channel, 'failed', 'the incident no longer exists', now);
    try {
      await this.senders[channel.type]!.send(message, channel, AbortSignal.timeout(this.settings.timeoutMs));
      return await this.finish(token, entries, channel, 'sent', null, now);
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(error instanceof Error ? error.message : String(error), true);
      const attempts = first.attempts + 1;
      if (failure.retryable && attempts < this.settings.maxAttempts) {
        const wait = failure.retryAfterMs ?? this.backoffMs(attempts);
        this.logger.info('notification not delivered; trying again', { channel: channel.name, event: first.event, attempts, retry_in_ms: Math.round(wait), reason: failure.message });
        await NotificationModel.updateMany(leased(token, entries), { $set: { not_before: new Date(+now + wait), lease_owner: null, lease_until: null, last_error: failure.message }, $inc: { attempts: 1 } });
        this.emit(entries, 'retry', failure.message);
        return 'retry';
      }
      const reason = failure.retryable ? `${failure.message} (gave up after ${attempts} attempts)` : failure.message;
      return this.finish(token, entries, channel, 'failed', reason, now);
    }
  }

  private async message(entries: Notification[], now: Date): Promise<AlertMessage> {
    const ids = [...new Set(entries.map((e) => e.incident_id).filter((id): id is string => id !== null))];
    const { incidents, dependents } = await briefsFor(ids);
    const event = entries[0]!.event;
    const note = entries.find((e) => e.note)?.note ?? null;
    // A notice without an incident (recovery about to run before one opened) says what its note says.
    const summary = event === 'test' || incidents.length ? summarize(event, incidents, note) : (note ?? event);
    return { event, incidents, dependents, note, summary, sent_at: now };
  }

  private async finish(token: string, entries: Notification[], channel: NotificationChannel | null, outcome: 'sent' | 'failed', error: string | null, now: Date): Promise<Delivery['outcome']> {
    await NotificationModel.updateMany(
      leased(token, entries),
      { $set: { state: outcome, sent_at: outcome === 'sent' ? now : null, lease_owner: null, lease_until: null, last_error: error }, $inc: { attempts: 1 } },
    );
    const incidentIds = [...new Set(entries.map((e) => e.incident_id).filter((id): id is string => id !== null))];
    const kind = outcome === 'sent' ? 'notified' : 'notification_failed';
    const words = `${entries[0]!.event} ${outcome === 'sent' ? 'sent to' : 'not delivered to'} ${channel?.name ?? entries[0]!.channel_id}${error ? `: ${error}` : ''}`;
    await appendTimeline(incidentIds, timelineEntry(kind, now, { actor: 'system', message: words, channel_id: entries[0]!.channel_id }));
    if (outcome === 'failed') this.logger.warn('notification failed', { channel: channel?.name ?? entries[0]!.channel_id, event: entries[0]!.event, incidents: incidentIds.length, reason: error });
    else this.logger.info('notification sent', { channel: channel!.name, event: entries[0]!.event, incidents: incidentIds.length });
    this.emit(entries, outcome, error);
    return outcome;
  }

  private async release(token: string, entries: Notification[], notBefore: Date, outcome: 'waiting', error: string | null): Promise<Delivery['outcome']> {
    await NotificationModel.updateMany(leased(token, entries), { $set: { not_before: notBefore, lease_owner: null, lease_until: null } });
    this.emit(entries, outcome, error);
    return outcome;
  }

  /** 0 when the channel may send now, else how long until it may (its messages a minute, over every process). */
  private async rateLimitWait(channel: NotificationChannel): Promise<number> {
    let limiter = this.limiters.get(channel.rate_per_minute);
    if (!limiter) {
      limiter = new RateLimiterMongo({ storeClient: mongoose.connection, dbName: mongoose.connection.db!.databaseName, tableName: 'notification_rate', keyPrefix: `notify${channel.rate_per_minute}`, points: channel.rate_per_minute, duration: 60 });
      this.limiters.set(channel.rate_per_minute, limiter);
    }
    try {
      await limiter.consume(channel.channel_id);
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1_000, rejection.msBeforeNext);
      throw rejection;
    }
  }

  private backoffMs(attempts: number): number {
    const base = Math.min(this.settings.backoffMaxMs, this.settings.backoffBaseMs * 2 ** (attempts - 1));
    return base * (1 + Math.random() * 0.2);
  }

  private emit(entries: Notification[], outcome: Delivery['outcome'], error: string | null): void {
    const delivery: Delivery = { channel_id: entries[0]!.channel_id, event: entries[0]!.event, notification_ids: entries.map((e) => e.notification_id), outcome, error };
    for (const listener of this.listeners) listener(delivery);
  }
}

/** The claimed entries still under this claim's lease, by their unique id (a filter on the lease alone reads them all). */
function leased(token: string, entries: readonly Notification[]) {
  return { notification_id: { $in: entries.map((e) => e.notification_id) }, lease_owner: token };
}
