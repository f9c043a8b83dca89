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

/** One message to send: its key and its entries (one channel, group key and event), oldest first. */
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

/** Not leased, or leased by a process that did not finish in time (it died or hung). */
const free = (now: Date) => ({ $or: [{ lease_until: null }, { lease_until: { $lt: now } }] });

/**
 * Claims the groups due now in three round trips whatever their number: reads the free pending entries due within
 * the group window (oldest first) to find the groups whose first entry is due, leases those entries (one
 * update, guarded: an entry another process leased meanwhile is not taken), and reads back which are this
 * token's. A host's incidents opened together are one entry, so a message is mostly one document to lease and to
 * mark sent; the outcome's write ends the lease with it.
 */
export async function claimDue(token: string, now: Date, settings: ClaimSettings): Promise<Claim> {
  const within = new Date(+now + settings.groupWindowMs);
  const candidates = await NotificationModel.find({ state: 'pending', not_before: { $lte: within }, ...free(now) }, { notification_id: 1, channel_id: 1, group_key: 1, event: 1, not_before: 1 })
    .sort({ not_before: 1 })
    .limit(settings.scan ?? 1_000)
    .lean<Candidate[]>();
  const { due, nextDueAt } = dueGroups(candidates.filter((c) => !settings.busy?.has(leaseKey(c))), now, settings.maxGroups);
  if (due.length === 0) return { token, groups: [], nextDueAt };
  const ids = due.flat().map((c) => c.notification_id);
  await NotificationModel.collection.updateMany({ notification_id: { $in: ids }, state: 'pending', ...free(now) }, { $set: { lease_owner: token, lease_until: new Date(+now + settings.leaseMs) } });
  const entries = await NotificationModel.find({ notification_id: { $in: ids }, lease_owner: token, state: 'pending' }).sort({ created_at: 1 }).lean<Notification[]>();
  return { token, groups: groupBy(entries).map((group) => ({ lease: leaseKey(group[0]!), entries: group })), nextDueAt };
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
