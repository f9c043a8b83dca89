import { ConflictError, InvalidInputError, NotFoundError } from '../../common/errors.js';
import type { EnvironmentName, Severity } from '../../common/enums.js';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from '../../common/pagination.js';
import { resolveIncident } from './incident-evaluator.js';
import { pushTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident, type IncidentState } from './incident.model.js';
import type { IncidentChanged } from './alerting.js';
import type { Notifier } from './notifier.js';
import { NotificationModel, type Notification } from './outbox.model.js';

export interface IncidentFilter {
  states?: IncidentState[];
  serviceId?: string;
  hostId?: string;
  environment?: EnvironmentName;
  severity?: Severity;
  /** Opened at or after. */
  since?: Date;
}

const NOTE_MAX = 2_000;

/** What operators do with incidents, and what they read. */
export class IncidentService {
  constructor(
    private readonly notifier: Notifier,
    private readonly retentionDays: number,
    private readonly changed: IncidentChanged = () => {},
  ) {}

  async get(incidentId: string): Promise<Incident | null> {
    return IncidentModel.findOne({ incident_id: incidentId }).lean<Incident>();
  }

  /** Newest first. */
  async page(filter: IncidentFilter, request: PageRequest): Promise<Page<Incident>> {
    const size = pageSize(request.first);
    const query: Record<string, unknown> = {};
    if (filter.states?.length) query.state = { $in: filter.states };
    if (filter.serviceId) query.service_id = filter.serviceId;
    if (filter.hostId) query.host_id = filter.hostId;
    if (filter.environment) query.environment = filter.environment;
    if (filter.severity) query.severity = filter.severity;
    if (filter.since) query.opened_at = { $gte: filter.since };
    const after = request.after ? decodeCursor(request.after, 2) : null;
    if (after && !(after[0] instanceof Date && typeof after[1] === 'string')) throw InvalidInputError.single('after', 'is not a cursor from this list');
    const paged = after ? { $and: [query, { $or: [{ opened_at: { $lt: after[0] } }, { opened_at: after[0], incident_id: { $lt: after[1] } }] }] } : query;
    const docs = size === 0 ? [] : await IncidentModel.find(paged).sort({ opened_at: -1, incident_id: -1 }).limit(size + 1).lean<Incident[]>();
    return {
      items: docs.slice(0, size).map((node) => ({ node, cursor: encodeCursor([node.opened_at, node.incident_id]) })),
      hasNextPage: docs.length > size,
      hasPreviousPage: after !== null,
      totalCount: () => IncidentModel.countDocuments(query).exec(),
    };
  }

  /** Someone is on it: escalation stops; channels that were told hear it. */
  async acknowledge(incidentId: string, actor: string, note: string | null, now = new Date()): Promise<Incident> {
    const text = checkedNote(note, 'note');
    const updated = await IncidentModel.findOneAndUpdate(
      { incident_id: incidentId, state: 'triggered' },
      { $set: { state: 'acknowledged', acknowledged_at: now }, $push: pushTimeline(timelineEntry('acknowledged', now, { actor, message: text })) },
      { returnDocument: 'after' },
    ).lean<Incident>();
    if (!updated) throw await this.notInState(incidentId, 'acknowledged', 'TRIGGERED');
    this.changed(updated, 'acknowledged', now);
    await this.notifier.transitioned(updated, 'acknowledged', text ? `${actor}: ${text}` : `by ${actor}`, now);
    return updated;
  }

  /** Closed by a person (the service may still be failing; a new failure streak opens a new incident). */
  async resolve(incidentId: string, actor: string, note: string | null, now = new Date()): Promise<Incident> {
    const text = checkedNote(note, 'note');
    const resolved = await resolveIncident(incidentId, actor, text ?? 'resolved by hand', this.retentionDays, now);
    if (!resolved) throw await this.notInState(incidentId, 'resolved', 'TRIGGERED or ACKNOWLEDGED');
    this.changed(resolved, 'resolved', now);
    await this.notifier.transitioned(resolved, 'resolved', text ? `${actor}: ${text}` : `by ${actor}`, now);
    return (await this.get(incidentId))!;
  }

  async addNote(incidentId: string, actor: string, note: string, now = new Date()): Promise<Incident> {
    const text = checkedNote(note, 'note');
    if (!text) throw InvalidInputError.single('note', 'must not be empty');
    const updated = await IncidentModel.findOneAndUpdate({ incident_id: incidentId }, { $push: pushTimeline(timelineEntry('note', now, { actor, message: text })) }, { returnDocument: 'after' }).lean<Incident>();
    if (!updated) throw new NotFoundError('incident', incidentId);
    this.changed(updated, 'note', now);
    return updated;
  }

  /** These incidents' notifications, oldest first, and how their delivery went (the latest 500 each at most). */
  async deliveriesOf(incidentIds: readonly string[]): Promise<Notification[]> {
    const ids = [...incidentIds];
    const all = (await NotificationModel.find({ $or: [{ incident_ids: { $in: ids } }, { incident_id: { $in: ids } }] }).sort({ created_at: 1 }).lean<Notification[]>()).map(withIncidentIds);
    const kept = new Map<string, number>();
    // Newest kept first, then back in order.
    return all
      .reverse()
      .filter((n) => {
        const counts = n.incident_ids!.map((id) => (kept.get(id) ?? 0) + 1);
        n.incident_ids!.forEach((id, i) => kept.set(id, counts[i]!));
        return counts.some((count) => count <= 500);
      })
      .reverse();
  }

  private async notInState(incidentId: string, wanted: string, from: string): Promise<Error> {
    const incident = await IncidentModel.findOne({ incident_id: incidentId }, { state: 1 }).lean<Pick<Incident, 'state'>>();
    if (!incident) return new NotFoundError('incident', incidentId);
    return new ConflictError(`incident '${incidentId}' is ${incident.state.toUpperCase()}; only ${from} incidents can be ${wanted}`);
  }
}

function checkedNote(note: string | null | undefined, field: string): string | null {
  if (note === null || note === undefined) return null;
  const text = note.trim();
  if (text.length > NOTE_MAX) throw InvalidInputError.single(field, `at most ${NOTE_MAX} characters, got ${text.length}`);
  return text || null;
}

/** Entries stored before `incident_ids` was recorded tell of their one incident. */
const withIncidentIds = (n: Notification): Notification => ({ ...n, incident_ids: n.incident_ids ?? (n.incident_id ? [n.incident_id] : []) });
