import type { NotificationChannel } from './channel.model.js';
import type { IncidentBrief } from './channels/channel.js';
import { IncidentModel, type Incident, type TimelineEntry, type TimelineKind } from './incident.model.js';
import type { Notification } from './outbox.model.js';

/** An incident keeps its latest this many timeline entries (a flapping service must not grow it without end). */
export const TIMELINE_LIMIT = 500;

export function timelineEntry(kind: TimelineKind, at: Date, fields: { actor?: string | null; message?: string | null; channel_id?: string | null } = {}): TimelineEntry {
  return { at, kind, actor: fields.actor ?? null, message: fields.message ?? null, channel_id: fields.channel_id ?? null };
}

/** The $push that appends entries, keeping the latest TIMELINE_LIMIT. */
export function pushTimeline(...entries: TimelineEntry[]): { timeline: { $each: TimelineEntry[]; $slice: number } } {
  return { timeline: { $each: entries, $slice: -TIMELINE_LIMIT } };
}

/** Appends one entry to each of these incidents. */
export async function appendTimeline(incidentIds: readonly string[], entry: TimelineEntry, extra: Record<string, unknown> = {}): Promise<void> {
  if (incidentIds.length === 0) return;
  await IncidentModel.updateMany({ incident_id: { $in: [...incidentIds] } }, { $push: pushTimeline(entry), ...extra });
}

export function brief(incident: Incident): IncidentBrief {
  return {
    incident_id: incident.incident_id,
    service_id: incident.service_id,
    service_name: incident.service_name,
    host_id: incident.host_id,
    hostname: incident.hostname,
    environment: incident.environment,
    region: incident.region,
    severity: incident.severity,
    state: incident.state,
    opened_at: incident.opened_at,
    acknowledged_at: incident.acknowledged_at ?? null,
    resolved_at: incident.resolved_at ?? null,
    last_error: incident.last_error ?? null,
    caused_by_incident_id: incident.caused_by?.incident_id ?? null,
  };
}

/** The incidents (in the order of the ids) and the open incidents caused by them, for a message. */
export async function briefsFor(incidentIds: readonly string[]): Promise<{ incidents: IncidentBrief[]; dependents: IncidentBrief[] }> {
  if (incidentIds.length === 0) return { incidents: [], dependents: [] };
  const projection = { timeline: 0 };
  const [incidents, dependents] = await Promise.all([
    IncidentModel.find({ incident_id: { $in: [...incidentIds] } }, projection).lean<Incident[]>(),
    IncidentModel.find({ 'caused_by.incident_id': { $in: [...incidentIds] }, state: { $ne: 'resolved' } }, projection).limit(200).lean<Incident[]>(),
  ]);
  const order = new Map(incidentIds.map((id, i) => [id, i]));
  return {
    incidents: incidents.sort((a, b) => order.get(a.incident_id)! - order.get(b.incident_id)!).map(brief),
    dependents: dependents.map(brief),
  };
}

/**
 * The timeline as people read it: what was written on the incident, and each delivery's outcome from the outbox
 * (sent to, or given up on, a channel), in time order.
 */
export function withDeliveries(written: readonly TimelineEntry[], deliveries: readonly Notification[], channelName: (id: string) => string): TimelineEntry[] {
  const delivered = deliveries
    .filter((n) => n.finished_at && n.state !== 'pending')
    .map((n) =>
      n.state === 'sent'
        ? timelineEntry('notified', n.sent_at ?? n.finished_at!, { actor: 'system', message: `${n.event} sent to ${channelName(n.channel_id)}`, channel_id: n.channel_id })
        : timelineEntry('notification_failed', n.finished_at!, { actor: 'system', message: `${n.event} not delivered to ${channelName(n.channel_id)}: ${n.last_error ?? 'failed'}`, channel_id: n.channel_id }),
    );
  return [...written, ...delivered].map((entry, i) => ({ entry, i })).sort((a, b) => +a.entry.at - +b.entry.at || a.i - b.i).map(({ entry }) => entry);
}
