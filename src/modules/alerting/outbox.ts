import { duplicateRefusals } from '../../db/mongo-errors.js';
import { NotificationModel, type Notification, type NotificationEvent } from './outbox.model.js';

export interface OutboxEntry {
  channel_id: string;
  /** The incident it tells of (the first, when it carries several). */
  incident_id: string | null;
  /** Every incident it tells of, when several (a host's incidents opened together): one entry, one write. */
  incident_ids?: string[];
  event: NotificationEvent;
  group_key: string;
  not_before: Date;
  note?: string | null;
  /** Part of the id when one incident may send the same event more than once (escalation steps, reminders). */
  occurrence?: string;
}

type TransitionOf = Pick<OutboxEntry, 'channel_id' | 'event' | 'occurrence' | 'group_key'>;

/** One incident's transition told to one channel: at most one entry holds it (a unique index over `transitions`). */
export const transitionKey = (entry: TransitionOf, incidentId: string | null): string =>
  [incidentId ?? entry.group_key, entry.event, ...(entry.occurrence ? [entry.occurrence] : []), entry.channel_id].join(':');

/** An entry's id: the transition of its first incident (unique, since no two entries hold one transition). */
export const notificationId = (entry: TransitionOf & Pick<OutboxEntry, 'incident_id'>): string => transitionKey(entry, entry.incident_id);

const incidentsOf = (entry: OutboxEntry): string[] => entry.incident_ids ?? (entry.incident_id ? [entry.incident_id] : []);

/** Refused inserts are retried without what others queued meanwhile; each round leaves fewer, so this ends. */
const MAX_ROUNDS = 5;

/**
 * Stores notifications before anything is sent. Every incident transition an entry holds has a deterministic key
 * that only one entry may hold (a unique index), so queuing the same transition again (a sweep after a crash, a
 * second process) adds nothing: each is stored, and so sent, once. An entry refused because some of its
 * transitions were queued meanwhile is stored again with the others. Resolves with how many entries were stored.
 */
export async function enqueue(entries: readonly OutboxEntry[], retentionDays: number, now = new Date()): Promise<number> {
  let pending = [...entries];
  let stored = 0;
  for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
    const docs = pending.map((entry) => document(entry, retentionDays, now));
    try {
      await NotificationModel.collection.insertMany(docs as Notification[], { ordered: false });
      return stored + docs.length;
    } catch (error) {
      const refused = duplicateRefusals(error);
      if (refused === null) throw error;
      stored += docs.length - refused;
      pending = await withoutQueued(pending);
    }
  }
  if (pending.length > 0) throw new Error(`could not queue ${pending.length} notifications: their transitions kept being queued by others`);
  return stored;
}

/** The entries with the transitions already stored taken out (one read); entries left with none are dropped. */
async function withoutQueued(entries: readonly OutboxEntry[]): Promise<OutboxEntry[]> {
  const keys = entries.flatMap((entry) => transitionsOf(entry));
  const found = await NotificationModel.find({ $or: [{ transitions: { $in: keys } }, { notification_id: { $in: keys } }] }, { transitions: 1, notification_id: 1 }).lean<
    Pick<Notification, 'transitions' | 'notification_id'>[]
  >();
  const queued = new Set(found.flatMap((n) => [n.notification_id, ...(n.transitions ?? [])]));
  return entries.flatMap((entry) => {
    if (entry.incident_id === null) return queued.has(transitionKey(entry, null)) ? [] : [entry];
    const left = incidentsOf(entry).filter((id) => !queued.has(transitionKey(entry, id)));
    return left.length ? [{ ...entry, incident_id: left[0]!, incident_ids: left }] : [];
  });
}

const transitionsOf = (entry: OutboxEntry): string[] => (entry.incident_id === null ? [transitionKey(entry, null)] : incidentsOf(entry).map((id) => transitionKey(entry, id)));

function document(entry: OutboxEntry, retentionDays: number, now: Date): Partial<Notification> {
  return {
    notification_id: notificationId(entry),
    channel_id: entry.channel_id,
    incident_id: entry.incident_id,
    incident_ids: incidentsOf(entry),
    transitions: transitionsOf(entry),
    event: entry.event,
    group_key: entry.group_key,
    state: 'pending',
    attempts: 0,
    not_before: entry.not_before,
    last_error: null,
    note: entry.note ?? null,
    created_at: now,
    sent_at: null,
    finished_at: null,
    expires_at: new Date(+now + retentionDays * 86_400_000),
  };
}
