import { duplicateRefusals } from '../../db/mongo-errors.js';
import { NotificationModel, type Notification, type NotificationEvent } from './outbox.model.js';

export interface OutboxEntry {
  channel_id: string;
  incident_id: string | null;
  event: NotificationEvent;
  group_key: string;
  not_before: Date;
  note?: string | null;
  /** Part of the id when one incident may send the same event more than once (escalation steps, reminders). */
  occurrence?: string;
}

export const notificationId = (entry: Pick<OutboxEntry, 'channel_id' | 'incident_id' | 'event' | 'occurrence' | 'group_key'>): string =>
  [entry.incident_id ?? entry.group_key, entry.event, ...(entry.occurrence ? [entry.occurrence] : []), entry.channel_id].join(':');

/**
 * Stores notifications before anything is sent. The id is deterministic, so queuing the same transition again
 * (a sweep after a crash, a second process) adds nothing: each is stored, and so sent, once.
 */
export async function enqueue(entries: readonly OutboxEntry[], retentionDays: number, now = new Date()): Promise<number> {
  if (entries.length === 0) return 0;
  const docs: Partial<Notification>[] = entries.map((entry) => ({
    notification_id: notificationId(entry),
    channel_id: entry.channel_id,
    incident_id: entry.incident_id,
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
  }));
  try {
    const result = await NotificationModel.collection.insertMany(docs as Notification[], { ordered: false });
    return result.insertedCount;
  } catch (error) {
    // Some were queued before: the others are in (counted from the refusals, which every server reports alike).
    const duplicates = duplicateRefusals(error);
    if (duplicates !== null) return docs.length - duplicates;
    throw error;
  }
}
