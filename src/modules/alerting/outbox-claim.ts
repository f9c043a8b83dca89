import { duplicateRefusals } from '../../db/mongo-errors.js';
import { NotificationLeaseModel } from './outbox-lease.model.js';
import { NotificationModel, type Notification } from './outbox.model.js';

export interface ClaimSettings {
  /** Groups claimed at most (the sender's free delivery slots). */
  maxGroups: number;
  /** Entries of a group due within this much of its first go out with it. */
  groupWindowMs: number;
  leaseMs: number;
  /** Pending entries looked at per claim. */
  scan?: number;
  /** Groups this process is sending now (their entries are still pending): not claimed again. */
  busy?: ReadonlySet<string>;
}

/** One message to send: its lease and its entries (one channel, group key and event), oldest first. */
export interface ClaimedGroup {
  lease: string;
  entries: Notification[];
}

export interface Claim {
  token: string;
  groups: ClaimedGroup[];
  /** When the earliest entry seen but not yet due falls due (null: none seen). */
  nextDueAt: Date | null;
}

type Candidate = Pick<Notification, 'notification_id' | 'channel_id' | 'group_key' | 'event' | 'not_before'>;

export const leaseKey = (n: Pick<Notification, 'channel_id' | 'group_key' | 'event'>) => `${n.channel_id}|${n.group_key}|${n.event}`;

/**
 * Claims the groups due now in four round trips whatever their number: reads the pending entries due within the
 * group window (oldest first) to find the groups whose first entry is due, takes a lease on each such group (a
 * group another process holds is refused by the lease's unique id), reads which leases it got, and reads those
 * groups' entries due within the window.
 */
export async function claimDue(token: string, now: Date, settings: ClaimSettings): Promise<Claim> {
  const within = new Date(+now + settings.groupWindowMs);
  const candidates = await NotificationModel.find({ state: 'pending', not_before: { $lte: within } }, { notification_id: 1, channel_id: 1, group_key: 1, event: 1, not_before: 1 })
    .sort({ not_before: 1 })
    .limit(settings.scan ?? 1_000)
    .lean<Candidate[]>();
  const { due, nextDueAt } = dueGroups(candidates.filter((c) => !settings.busy?.has(leaseKey(c))), now, settings.maxGroups);
  if (due.length === 0) return { token, groups: [], nextDueAt };
  const leases = await takeLeases(due.map((g) => leaseKey(g[0]!)), token, now, new Date(+now + settings.leaseMs));
  if (leases.size === 0) return { token, groups: [], nextDueAt };
  const entries = await NotificationModel.find({ group_key: { $in: [...new Set(due.map((g) => g[0]!.group_key))] }, state: 'pending', not_before: { $lte: within } })
    .sort({ created_at: 1 })
    .lean<Notification[]>();
  const groups = groupBy(entries.filter((e) => leases.has(leaseKey(e)))).map((group) => ({ lease: leaseKey(group[0]!), entries: group }));
  return { token, groups, nextDueAt };
}

/** Takes every lease that is free or expired (one write), then reads which ones are this token's. */
async function takeLeases(keys: string[], token: string, now: Date, until: Date): Promise<Set<string>> {
  try {
    await NotificationLeaseModel.collection.bulkWrite(
      keys.map((key) => ({ updateOne: { filter: { _id: key as never, until: { $lt: now } }, update: { $set: { owner: token, until } }, upsert: true } })),
      { ordered: false },
    );
  } catch (error) {
    // A lease another process holds refuses the upsert's insert: that group is theirs.
    if (duplicateRefusals(error) === null) throw error;
  }
  const mine = await NotificationLeaseModel.find({ _id: { $in: keys }, owner: token }, { _id: 1 }).lean<{ _id: string }[]>();
  return new Set(mine.map((lease) => lease._id));
}

/** The groups whose first entry is due, oldest first, at most `max`, and when the first of the others falls due. */
export function dueGroups(candidates: readonly Candidate[], now: Date, max: number): { due: Candidate[][]; nextDueAt: Date | null } {
  const all = groupBy(candidates);
  const due = all.filter((g) => +g[0]!.not_before <= +now).slice(0, max);
  const waiting = all.filter((g) => +g[0]!.not_before > +now).map((g) => +g[0]!.not_before);
  return { due, nextDueAt: waiting.length ? new Date(Math.min(...waiting)) : null };
}

/** Entries by channel, group key and event, in the order each group was first seen. */
function groupBy<T extends Pick<Notification, 'channel_id' | 'group_key' | 'event'>>(entries: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const entry of entries) {
    const group = groups.get(leaseKey(entry));
    if (group) group.push(entry);
    else groups.set(leaseKey(entry), [entry]);
  }
  return [...groups.values()];
}
