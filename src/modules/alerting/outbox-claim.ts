import { NotificationModel, type Notification } from './outbox.model.js';

export interface ClaimSettings {
  /** Groups claimed at most (the sender's free delivery slots). */
  maxGroups: number;
  /** Entries of a group due within this much of its first go out with it. */
  groupWindowMs: number;
  leaseMs: number;
  /** Pending entries looked at per claim. */
  scan?: number;
}

export interface Claim {
  token: string;
  /** Each group is one message: entries of one channel, group key and event, oldest first. */
  groups: Notification[][];
  /** When the earliest entry seen but not yet due falls due (null: none seen). */
  nextDueAt: Date | null;
}

type Candidate = Pick<Notification, 'notification_id' | 'channel_id' | 'group_key' | 'event' | 'not_before'>;

/** Entries by channel, group key and event, in the order each group was first seen. */
function groupBy<T extends Pick<Notification, 'channel_id' | 'group_key' | 'event'>>(entries: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const entry of entries) {
    const key = `${entry.channel_id}|${entry.group_key}|${entry.event}`;
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  return [...groups.values()];
}

/**
 * Leases the groups due now under one token in three round trips whatever their number: reads the pending entries
 * due within the group window (oldest first), leases every entry of the groups whose first entry is due, and reads
 * back the ones this claim got (another process may have leased some in between).
 */
export async function claimDue(token: string, now: Date, settings: ClaimSettings): Promise<Claim> {
  const scan = settings.scan ?? 2_000;
  const free = { $or: [{ lease_until: null }, { lease_until: { $lt: now } }] };
  const candidates = await NotificationModel.find(
    { state: 'pending', not_before: { $lte: new Date(+now + settings.groupWindowMs) }, ...free },
    { notification_id: 1, channel_id: 1, group_key: 1, event: 1, not_before: 1 },
  )
    .sort({ not_before: 1 })
    .limit(scan)
    .lean<Candidate[]>();
  const { due, nextDueAt } = dueGroups(candidates, now, settings.maxGroups, candidates.length === scan);
  if (due.length === 0) return { token, groups: [], nextDueAt };
  const ids = due.flat().map((c) => c.notification_id);
  await NotificationModel.updateMany({ notification_id: { $in: ids }, state: 'pending', ...free }, { $set: { lease_owner: token, lease_until: new Date(+now + settings.leaseMs) } });
  const mine = await NotificationModel.find({ notification_id: { $in: ids }, lease_owner: token }).sort({ created_at: 1 }).lean<Notification[]>();
  return { token, groups: groupBy(mine), nextDueAt };
}

/**
 * The groups whose first entry is due, oldest first, at most `max`; when the scan was cut short, its last group
 * may be incomplete and waits for the next claim (unless it is the only one).
 */
export function dueGroups(candidates: readonly Candidate[], now: Date, max: number, truncated: boolean): { due: Candidate[][]; nextDueAt: Date | null } {
  const all = groupBy(candidates);
  if (truncated && all.length > 1) all.pop();
  const due = all.filter((g) => +g[0]!.not_before <= +now).slice(0, max);
  const waiting = all.filter((g) => +g[0]!.not_before > +now).map((g) => +g[0]!.not_before);
  return { due, nextDueAt: waiting.length ? new Date(Math.min(...waiting)) : null };
}
