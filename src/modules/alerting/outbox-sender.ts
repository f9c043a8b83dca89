import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { NotificationChannel } from './channel.model.js';
import type { ChannelService } from './channel.service.js';
import { DeliveryError, summarize, type AlertMessage, type ChannelSender, type IncidentBrief } from './channels/channel.js';
import { channelSenders } from './channels/registry.js';
import { WriteCoalescer } from '../../db/write-coalescer.js';
import { briefsFor } from './incident-log.js';
import { claimDue, type Claim, type ClaimedGroup } from './outbox-claim.js';
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
  /** Messages under way at once: a claim fills the free ones, so an outage's messages go in few claims. */
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
  concurrency: 32,
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
 * Sends what the outbox holds: claims the groups due (every entry of one channel, group and event due within the
 * group window) under a lease on its entries, sends each as one message, and records the outcome on the entries (the
 * incidents' timelines read it from there). Any number of processes may run one; a group is sent by one at a time.
 */
export class OutboxSender {
  private readonly owner = randomUUID();
  private readonly limiters = new Map<number, RateLimiterMongo>();
  private readonly writes = new WriteCoalescer();
  /** Deliveries not yet recorded (stop waits for them). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Messages being sent now: a slot frees when its send ends, so the next claim overlaps the last one's writes. */
  private sendingNow = 0;
  /** The lease keys of the groups being sent now. */
  private readonly sending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private wokenWhileRunning = false;
  private stopped = true;
  private readonly listeners = new Set<(delivery: Delivery) => void>();
  /** Claims of this process run one after another, so two of its pumps never split one group between them. */
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

  /** Something was queued or a slot came free: look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wokenWhileRunning = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Called with every delivery's outcome (tests and the benchmark watch them). */
  observe(listener: (delivery: Delivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends every message due now, `concurrency` at a time, and waits for them; resolves with how many went out. */
  async sendDue(now = () => new Date()): Promise<number> {
    let sent = 0;
    for (;;) {
      const { deliveries } = await this.claimInTurn(now);
      if (deliveries.length === 0) return sent;
      sent += (await Promise.all(deliveries)).filter((outcome) => outcome === 'sent').length;
    }
  }

  /**
   * Fills the free delivery slots with what is due and starts sending it (each delivery frees its slot and wakes
   * the sender when done, so a slow channel holds only its own slots); resolves once nothing more is due or no
   * slot is free, with when to look next.
   */
  private async pump(now = () => new Date()): Promise<Date | null> {
    for (;;) {
      const room = this.settings.concurrency - this.sendingNow;
      if (room <= 0) return null;
      const { deliveries, nextDueAt, full } = await this.claimInTurn(now, room);
      if (!full) return nextDueAt;
      if (deliveries.length === 0) return nextDueAt;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wokenWhileRunning = false;
      let next = this.settings.pollMs;
      this.running = this.pump()
        .then((nextDueAt) => {
          if (nextDueAt) next = Math.min(next, Math.max(0, +nextDueAt - Date.now()));
        })
        .catch((error: unknown) => this.logger.warn('sending notifications failed; trying again', { reason: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          this.running = null;
          this.schedule(this.wokenWhileRunning ? 0 : next);
        });
    }, delayMs);
  }

  /** Claims up to `room` groups and starts their deliveries; `full` when every slot offered was filled. */
  private claimInTurn(now: () => Date, room = this.settings.concurrency): Promise<{ deliveries: Promise<Delivery['outcome']>[]; nextDueAt: Date | null; full: boolean }> {
    const turn = this.claiming.then(async () => {
      const at = now();
      const claim = await claimDue(`${this.owner}:${randomUUID()}`, at, { maxGroups: room, groupWindowMs: this.settings.groupWindowMs, leaseMs: this.settings.leaseMs, busy: this.sending });
      const deliveries = await this.startDeliveries(claim, at);
      return { deliveries, nextDueAt: claim.nextDueAt, full: claim.groups.length >= room };
    });
    this.claiming = turn.catch(() => undefined);
    return turn;
  }

  /** What every claimed group needs, read once for them all (channels, rate allowances, incidents), then each sent. */
  private async startDeliveries({ groups }: Claim, now: Date): Promise<Promise<Delivery['outcome']>[]> {
    if (groups.length === 0) return [];
    const channels = await this.channels.byIds([...new Set(groups.map((g) => g.entries[0]!.channel_id))]);
    const allowed = await this.rateAllowances(groups, channels);
    const briefs = await briefsFor([...new Set(groups.flatMap((g) => g.entries.flatMap(incidentsTold)))]);
    return groups.map((group) => {
      this.sending.add(group.lease);
      this.sendingNow++;
      let slotFree = false;
      const freeSlot = () => {
        if (slotFree) return;
        slotFree = true;
        this.sendingNow--;
        this.wake();
      };
      const delivery = this.deliver(group.entries, channels.get(group.entries[0]!.channel_id) ?? null, allowed, briefs, now, freeSlot).finally(freeSlot);
      this.inFlight.add(delivery);
      void delivery
        .catch((error: unknown) => this.logger.warn('recording a notification failed; it is sent again once its lease ends', { reason: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          this.inFlight.delete(delivery);
          this.sending.delete(group.lease);
          this.wake();
        });
      return delivery;
    });
  }

  private async deliver(entries: Notification[], channel: NotificationChannel | null, allowed: RateAllowances, briefs: Briefs, now: Date, sent: () => void): Promise<Delivery['outcome']> {
    const first = entries[0]!;
    if (!channel) return this.finish(entries, null, 'failed', 'the channel was deleted', now);
    if (!channel.enabled) return this.release(entries, new Date(+now + 60_000), 'waiting', null);
    const waitMs = allowed.take(channel.channel_id);
    if (waitMs > 0) return this.release(entries, new Date(+now + waitMs), 'waiting', null);
    const message = this.message(entries, briefs, now);
    if (first.incident_id !== null && message.incidents.length === 0 && first.event !== 'recovery_notice') return this.finish(entries, channel, 'failed', 'the incident no longer exists', now);
    try {
      await this.senders[channel.type]!.send(message, channel, AbortSignal.timeout(this.settings.timeoutMs)).finally(sent);
      return await this.finish(entries, channel, 'sent', null, now);
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(error instanceof Error ? error.message : String(error), true);
      const attempts = first.attempts + 1;
      if (failure.retryable && attempts < this.settings.maxAttempts) {
        const wait = failure.retryAfterMs ?? this.backoffMs(attempts);
        this.logger.info('notification not delivered; trying again', { channel: channel.name, event: first.event, attempts, retry_in_ms: Math.round(wait), reason: failure.message });
        await this.writeNotifications(entries, { $set: { not_before: new Date(+now + wait), last_error: failure.message }, $inc: { attempts: 1 } });
        this.emit(entries, 'retry', failure.message);
        return 'retry';
      }
      const reason = failure.retryable ? `${failure.message} (gave up after ${attempts} attempts)` : failure.message;
      return this.finish(entries, channel, 'failed', reason, now);
    }
  }

  private message(entries: Notification[], briefs: Briefs, now: Date): AlertMessage {
    const ids = [...new Set(entries.flatMap(incidentsTold))];
    const incidents = ids.map((id) => briefs.incidents.find((i) => i.incident_id === id)).filter((i): i is IncidentBrief => i !== undefined);
    const dependents = briefs.dependents.filter((d) => d.caused_by_incident_id !== null && ids.includes(d.caused_by_incident_id));
    const event = entries[0]!.event;
    const note = entries.find((e) => e.note)?.note ?? null;
    // A notice without an incident (recovery about to run before one opened) says what its note says.
    const summary = event === 'test' || incidents.length ? summarize(event, incidents, note) : (note ?? event);
    return { event, incidents, dependents, note, summary, sent_at: now };
  }

  /**
   * Records the outcome on the entries; their incidents' timelines show it from there (a delivery is not written to
   * each incident: an outage's thousands of incidents would cost thousands of writes per message).
   */
  private async finish(entries: Notification[], channel: NotificationChannel | null, outcome: 'sent' | 'failed', error: string | null, now: Date): Promise<Delivery['outcome']> {
    const incidents = new Set(entries.flatMap(incidentsTold)).size;
    await this.writeNotifications(entries, {
      $set: { state: outcome, sent_at: outcome === 'sent' ? now : null, finished_at: now, last_error: error },
      $inc: { attempts: 1 },
    });
    if (outcome === 'failed') this.logger.warn('notification failed', { channel: channel?.name ?? entries[0]!.channel_id, event: entries[0]!.event, incidents, reason: error });
    else this.logger.info('notification sent', { channel: channel!.name, event: entries[0]!.event, incidents });
    this.emit(entries, outcome, error);
    return outcome;
  }

  private async release(entries: Notification[], notBefore: Date, outcome: 'waiting', error: string | null): Promise<Delivery['outcome']> {
    await this.writeNotifications(entries, { $set: { not_before: notBefore } });
    this.emit(entries, outcome, error);
    return outcome;
  }

  /**
   * Updates the claimed entries still pending, by their unique ids, and ends their lease in the same write (never
   * before the outcome: another process would find them pending and send again). Coalesced with other deliveries' writes.
   */
  private writeNotifications(entries: readonly Notification[], update: { $set: Record<string, unknown>; $inc?: Record<string, number> }): Promise<void> {
    const ended = { ...update, $set: { ...update.$set, lease_owner: null, lease_until: null } };
    return this.writes.write(NotificationModel.collection, [{ updateMany: { filter: { notification_id: { $in: entries.map((e) => e.notification_id) }, state: 'pending' }, update: ended } }]);
  }

  /**
   * How many messages each channel may send now (its `rate_per_minute`, over every process): one counter update per
   * channel for all its groups of this claim; a group over the allowance waits until the window frees.
   */
  private async rateAllowances(groups: ClaimedGroup[], channels: Map<string, NotificationChannel>): Promise<RateAllowances> {
    const wanted = new Map<string, number>();
    for (const { entries } of groups) wanted.set(entries[0]!.channel_id, (wanted.get(entries[0]!.channel_id) ?? 0) + 1);
    const budget = new Map<string, { left: number; waitMs: number }>();
    await Promise.all(
      [...wanted].map(async ([channelId, count]) => {
        const channel = channels.get(channelId);
        if (!channel?.enabled) return;
        budget.set(channelId, await this.consume(channel, count));
      }),
    );
    return {
      take: (channelId) => {
        const left = budget.get(channelId);
        if (!left) return 0;
        if (left.left > 0) {
          left.left--;
          return 0;
        }
        return left.waitMs;
      },
    };
  }

  private async consume(channel: NotificationChannel, count: number): Promise<{ left: number; waitMs: number }> {
    let limiter = this.limiters.get(channel.rate_per_minute);
    if (!limiter) {
      limiter = new RateLimiterMongo({ storeClient: mongoose.connection, dbName: mongoose.connection.db!.databaseName, tableName: 'notification_rate', keyPrefix: `notify${channel.rate_per_minute}`, points: channel.rate_per_minute, duration: 60 });
      this.limiters.set(channel.rate_per_minute, limiter);
    }
    try {
      await limiter.consume(channel.channel_id, count);
      return { left: count, waitMs: 0 };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // The counter took all of them; those that fitted under the limit before this claim still go.
      const fitted = Math.max(0, channel.rate_per_minute - (rejection.consumedPoints - count));
      return { left: fitted, waitMs: Math.max(1_000, rejection.msBeforeNext) };
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

/** The incidents an entry tells of (entries stored before `incident_ids` was recorded: their one incident). */
const incidentsTold = (entry: Notification): string[] => entry.incident_ids ?? (entry.incident_id ? [entry.incident_id] : []);

interface RateAllowances {
  /** 0 when a message of this channel may go now (and counts it), else how long until one may. */
  take(channelId: string): number;
}

type Briefs = Awaited<ReturnType<typeof briefsFor>>;
