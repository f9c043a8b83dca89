import type { HostStatus } from '../../common/enums.js';
import type { DomainEvents } from '../../events/event-bus.js';
import { EnvironmentModel, type Environment } from '../environments/environment.model.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import type { IncidentChanged } from './alerting.js';
import type { ChannelService } from './channel.service.js';
import { pushTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident } from './incident.model.js';
import { suppressionReason } from './incident-rules.js';
import { enqueue, type OutboxEntry } from './outbox.js';
import { NotificationModel, type Notification } from './outbox.model.js';

export interface NotifierSettings {
  /** A new incident waits this long for others of its host, so they go out as one message. */
  groupWaitMs: number;
  /** After a host's message went out, more of its incidents wait this long after it, to go out as one update. */
  groupIntervalMs: number;
  notificationRetentionDays: number;
  /** While a service flaps, one notification says so within this window; the rest stay quiet. */
  flapWindowMs: number;
}

interface Slot {
  pending?: number;
  sent?: number;
}

/** An incident to notify: its channels, the event and an optional note. */
interface Notice {
  incident: Incident;
  channelIds: string[];
  event: 'triggered' | 'flapping';
  note: string | null;
}

/** A host's incidents opened together go in one entry, up to this many (an entry is one document). */
const MAX_INCIDENTS_PER_ENTRY = 500;

type Routing = Pick<Service, 'service_id' | 'alerting' | 'host_id' | 'environment' | 'recovery_approval'>;

/**
 * Decides who hears of an incident and when: routes an opened incident to the channels its service names
 * (types, by severity) unless notifications are suppressed now (recorded with the reason, notified when the
 * reason ends: `sweep`), and sends acknowledgement and resolution to every channel that was told.
 */
export class Notifier {
  constructor(
    private readonly channels: ChannelService,
    private readonly settings: NotifierSettings,
    private readonly wake: () => void = () => {},
    private readonly changed: IncidentChanged = () => {},
  ) {}

  /** Opened incidents: notify or record why not. */
  async opened(incidents: readonly Incident[], now = new Date()): Promise<void> {
    await this.notifyOrSuppress(incidents, now);
  }

  /** Every open incident not yet notified: notify those whose suppression ended (or that a crash left unsent). */
  async sweep(now = new Date()): Promise<number> {
    const waiting = await IncidentModel.find({ notified: false, state: { $in: ['triggered', 'acknowledged'] } }, { timeline: 0 }).limit(5_000).lean<Incident[]>();
    return this.notifyOrSuppress(waiting, now);
  }

  /** An incident changed state (acknowledged, resolved): tell every channel that heard of it. */
  async transitioned(incident: Incident, event: 'acknowledged' | 'resolved', note: string | null, now = new Date()): Promise<void> {
    // A flapping service's incidents resolve quietly: their channels heard it is flapping, not each round.
    if (incident.flapping && event === 'resolved') return;
    const entries: OutboxEntry[] = (incident.notified_channels ?? []).map((channelId) => ({
      channel_id: channelId,
      incident_id: incident.incident_id,
      event,
      group_key: event === 'resolved' ? `host:${incident.host_id}` : `incident:${incident.incident_id}`,
      not_before: event === 'resolved' ? new Date(+now + this.settings.groupWaitMs) : now,
      note,
    }));
    if ((await enqueue(entries, this.settings.notificationRetentionDays, now)) > 0) this.wake();
  }

  /**
   * `recovery.notify_before_recovery`: "about to restart nginx.service on web-01" to the service's channels, queued
   * as the action starts (not awaited: a slow channel never holds a recovery back), unless notifications are held.
   */
  async aboutToRecover(event: DomainEvents['recovery.event'], incidentId: string | null, now = new Date()): Promise<void> {
    const [service, host] = await Promise.all([
      ServiceModel.findOne({ service_id: event.service_id }, { service_id: 1, service_name: 1, alerting: 1, recovery: 1, environment: 1, host_id: 1 }).lean<
        Routing & Pick<Service, 'service_name' | 'recovery'>
      >(),
      HostModel.findOne({ host_id: event.host_id }, { hostname: 1, status: 1 }).lean<{ hostname: string; status: HostStatus }>(),
    ]);
    if (!service?.recovery?.notify_before_recovery) return;
    const environment = await EnvironmentModel.findOne({ env_name: service.environment }).lean<Environment>();
    const held = suppressionReason({ alerting: service.alerting as never, hostStatus: host?.status, environment: environment as never, cause: null }, now);
    if (held) return;
    const severity = service.alerting?.severity ?? environment?.alert_severity ?? 'medium';
    const channels = await this.channels.route(service.alerting?.channels ?? ['email'], severity);
    const note = `about to ${String(event.action ?? 'recover').replace('_', ' ')} ${service.service_name} on ${host?.hostname ?? event.host_id}`;
    const entries: OutboxEntry[] = channels.map((channel) => ({
      channel_id: channel.channel_id,
      incident_id: incidentId,
      event: 'recovery_notice',
      group_key: `recovery:${service.service_id}`,
      not_before: now,
      note,
      occurrence: String(+event.at),
    }));
    if ((await enqueue(entries, this.settings.notificationRetentionDays, now)) > 0) this.wake();
  }

  private async notifyOrSuppress(incidents: readonly Incident[], now: Date): Promise<number> {
    if (incidents.length === 0) return 0;
    const context = await this.context(incidents);
    const slots = await this.recentSlots(incidents, now);
    const notices: Notice[] = [];
    const suppressions: { incident: Incident; reason: string }[] = [];
    for (const incident of incidents) {
      const service = context.services.get(incident.service_id);
      const cause = incident.caused_by && context.openCauses.has(incident.caused_by.incident_id) ? incident.caused_by : null;
      const reason = suppressionReason(
        { alerting: service?.alerting as never, hostStatus: context.hostStatus.get(incident.host_id), environment: context.environments.get(incident.environment) as never, cause },
        now,
      );
      const channels = reason ? [] : await this.channels.route(service?.alerting?.channels ?? ['email'], incident.severity);
      const flapTold = !reason && incident.flapping ? await this.flappingToldAt(incident, now) : null;
      const why =
        reason ??
        (flapTold ? `flapping (told at ${flapTold.toISOString()})` : null) ??
        (channels.length === 0 ? `no enabled channel of type ${(service?.alerting?.channels ?? ['email']).join('/')} takes ${incident.severity} incidents` : null);
      if (why) {
        suppressions.push({ incident, reason: why });
        continue;
      }
      const approval = service?.recovery_approval && +service.recovery_approval.expires_at > +now ? service.recovery_approval : null;
      const note = approval ? `${approval.action} waits for approval: approveRecovery(incidentId: "${incident.incident_id}") before ${approval.expires_at.toISOString()}` : null;
      notices.push({ incident, channelIds: channels.map((c) => c.channel_id), event: incident.flapping ? 'flapping' : 'triggered', note });
    }
    await this.suppress(suppressions, now);
    await this.notify(notices, slots, now);
    return notices.length;
  }

  /** When people were told this service is flapping, within the flap window; null when they were not. */
  private async flappingToldAt(incident: Incident, now: Date): Promise<Date | null> {
    const told = await IncidentModel.findOne(
      { service_id: incident.service_id, flapping: true, notified: true, incident_id: { $ne: incident.incident_id }, opened_at: { $gte: new Date(+now - this.settings.flapWindowMs) } },
      { opened_at: 1 },
    ).lean<Pick<Incident, 'opened_at'>>();
    return told?.opened_at ?? null;
  }

  /**
   * When each host's next message to each channel goes (Alertmanager's group_wait and group_interval): a message
   * still waiting is joined; after one went out, the next waits until group_interval after it; else group_wait.
   */
  private slot(slots: Map<string, Slot>, groupKey: string, channelId: string, now: Date): Date {
    const key = `${groupKey}|${channelId}`;
    const { pending, sent } = slots.get(key) ?? {};
    const { groupWaitMs: wait, groupIntervalMs: interval } = this.settings;
    const at = pending !== undefined ? pending : sent !== undefined ? Math.max(+now + wait, sent + interval) : +now + wait;
    slots.set(key, { pending: at, sent });
    return new Date(at);
  }

  /** Per host and channel: the opening message still waiting, and when the last one went out (within the interval). */
  private async recentSlots(incidents: readonly Incident[], now: Date): Promise<Map<string, Slot>> {
    const keys = [...new Set(incidents.map((i) => `host:${i.host_id}`))];
    const since = new Date(+now - this.settings.groupIntervalMs - this.settings.groupWaitMs);
    const recent = await NotificationModel.find(
      { group_key: { $in: keys }, event: { $in: ['triggered', 'flapping'] }, created_at: { $gte: since } },
      { group_key: 1, channel_id: 1, state: 1, not_before: 1, sent_at: 1 },
    ).lean<Pick<Notification, 'group_key' | 'channel_id' | 'state' | 'not_before' | 'sent_at'>[]>();
    const slots = new Map<string, Slot>();
    for (const n of recent) {
      const key = `${n.group_key}|${n.channel_id}`;
      const slot = slots.get(key) ?? {};
      if (n.state === 'pending') slot.pending = Math.max(slot.pending ?? 0, +n.not_before);
      if (n.sent_at) slot.sent = Math.max(slot.sent ?? 0, +n.sent_at);
      slots.set(key, slot);
    }
    return slots;
  }

  /** Queues every notice's messages in one write (a host's incidents to one channel in one entry), then marks the incidents notified. */
  private async notify(notices: Notice[], slots: Map<string, Slot>, now: Date): Promise<void> {
    if (notices.length === 0) return;
    const entries = new Map<string, OutboxEntry>();
    for (const { incident, channelIds, event, note } of notices) {
      const groupKey = `host:${incident.host_id}`;
      for (const channelId of channelIds) {
        const entry: OutboxEntry = { channel_id: channelId, incident_id: incident.incident_id, incident_ids: [incident.incident_id], event, note, group_key: groupKey, not_before: this.slot(slots, groupKey, channelId, now) };
        // A note is one incident's (an approval to give): such a notice keeps an entry of its own.
        const together = note === null ? `${groupKey}|${channelId}|${event}|${+entry.not_before}` : entry.incident_id!;
        const joined = entries.get(together);
        if (joined && joined.incident_ids!.length < MAX_INCIDENTS_PER_ENTRY) joined.incident_ids!.push(incident.incident_id);
        else {
          if (joined) entries.set(`${together}|${joined.incident_id}`, joined); // full: kept under a key of its own
          entries.set(together, entry);
        }
      }
    }
    // Queued first, marked after: a crash between leaves them unmarked, and the sweep's second queuing adds nothing.
    await enqueue([...entries.values()], this.settings.notificationRetentionDays, now);
    await IncidentModel.bulkWrite(
      notices.map(({ incident, channelIds }) => ({
        updateOne: {
          filter: { incident_id: incident.incident_id, state: { $ne: 'resolved' } },
          update: {
            $set: { notified: true, suppressed: null },
            $addToSet: { notified_channels: { $each: channelIds } },
            ...(incident.suppressed ? { $push: pushTimeline(timelineEntry('unsuppressed', now, { actor: 'system', message: `no longer ${incident.suppressed.reason}` })) } : {}),
          },
        },
      })),
      { ordered: false },
    );
    for (const { incident } of notices) if (incident.suppressed) this.changed(incident, 'unsuppressed', now);
    this.wake();
  }

  /** Records why each incident is held back (one write), unless that is already its reason. */
  private async suppress(suppressions: { incident: Incident; reason: string }[], now: Date): Promise<void> {
    const changes = suppressions.filter(({ incident, reason }) => incident.suppressed?.reason !== reason);
    if (changes.length === 0) return;
    await IncidentModel.bulkWrite(
      changes.map(({ incident, reason }) => ({
        updateOne: {
          filter: { incident_id: incident.incident_id, state: { $ne: 'resolved' } },
          update: { $set: { suppressed: { reason, since: now } }, $push: pushTimeline(timelineEntry('suppressed', now, { actor: 'system', message: reason })) },
        },
      })),
      { ordered: false },
    );
    for (const { incident } of changes) this.changed(incident, 'suppressed', now);
  }

  private async context(incidents: readonly Incident[]) {
    const serviceIds = [...new Set(incidents.map((i) => i.service_id))];
    const hostIds = [...new Set(incidents.map((i) => i.host_id))];
    const causeIds = [...new Set(incidents.map((i) => i.caused_by?.incident_id).filter((id): id is string => Boolean(id)))];
    const [services, hosts, environments, openCauses] = await Promise.all([
      ServiceModel.find({ service_id: { $in: serviceIds } }, { service_id: 1, alerting: 1, host_id: 1, environment: 1, recovery_approval: 1 }).lean<Routing[]>(),
      HostModel.find({ host_id: { $in: hostIds } }, { host_id: 1, status: 1 }).lean<{ host_id: string; status: HostStatus }[]>(),
      EnvironmentModel.find().lean<Environment[]>(),
      causeIds.length ? IncidentModel.find({ incident_id: { $in: causeIds }, state: { $ne: 'resolved' } }, { incident_id: 1 }).lean<Pick<Incident, 'incident_id'>[]>() : [],
    ]);
    return {
      services: new Map(services.map((s) => [s.service_id, s])),
      hostStatus: new Map(hosts.map((h) => [h.host_id, h.status])),
      environments: new Map(environments.map((e) => [e.env_name as string, e])),
      openCauses: new Set(openCauses.map((c) => c.incident_id)),
    };
  }
}
