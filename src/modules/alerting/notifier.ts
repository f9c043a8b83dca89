import type { HostStatus } from '../../common/enums.js';
import { EnvironmentModel, type Environment } from '../environments/environment.model.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import type { ChannelService } from './channel.service.js';
import { pushTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident } from './incident.model.js';
import { suppressionReason } from './incident-rules.js';
import { enqueue, type OutboxEntry } from './outbox.js';

export interface NotifierSettings {
  /** A new incident waits this long for others of its host, so they go out as one message. */
  groupWaitMs: number;
  notificationRetentionDays: number;
}

type Routing = Pick<Service, 'service_id' | 'alerting' | 'host_id' | 'environment'>;

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
  ) {}

  /** Opened incidents: notify or record why not. */
  async opened(incidents: readonly Incident[], now = new Date()): Promise<void> {
    await this.notifyOrSuppress(incidents, now);
  }

  /** Every open incident not yet notified: notify those whose suppression ended (or that a crash left unsent). */
  async sweep(now = new Date()): Promise<number> {
    const waiting = await IncidentModel.find({ state: { $ne: 'resolved' }, notified: false }, { timeline: 0 }).limit(5_000).lean<Incident[]>();
    return this.notifyOrSuppress(waiting, now);
  }

  /** An incident changed state (acknowledged, resolved): tell every channel that heard of it. */
  async transitioned(incident: Incident, event: 'acknowledged' | 'resolved', note: string | null, now = new Date()): Promise<void> {
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

  private async notifyOrSuppress(incidents: readonly Incident[], now: Date): Promise<number> {
    if (incidents.length === 0) return 0;
    const context = await this.context(incidents);
    let notified = 0;
    for (const incident of incidents) {
      const service = context.services.get(incident.service_id);
      const cause = incident.caused_by && context.openCauses.has(incident.caused_by.incident_id) ? incident.caused_by : null;
      const reason = suppressionReason(
        { alerting: service?.alerting as never, hostStatus: context.hostStatus.get(incident.host_id), environment: context.environments.get(incident.environment) as never, cause },
        now,
      );
      const channels = reason ? [] : await this.channels.route(service?.alerting?.channels ?? ['email'], incident.severity);
      const why = reason ?? (channels.length === 0 ? `no enabled channel of type ${(service?.alerting?.channels ?? ['email']).join('/')} takes ${incident.severity} incidents` : null);
      if (why) {
        await this.suppress(incident, why, now);
        continue;
      }
      await this.notify(incident, channels.map((c) => c.channel_id), now);
      notified++;
    }
    return notified;
  }

  private async notify(incident: Incident, channelIds: string[], now: Date): Promise<void> {
    const entries: OutboxEntry[] = channelIds.map((channelId) => ({
      channel_id: channelId,
      incident_id: incident.incident_id,
      event: 'triggered',
      group_key: `host:${incident.host_id}`,
      not_before: new Date(+now + this.settings.groupWaitMs),
    }));
    // Queued first, marked after: a crash between leaves it unmarked, and the sweep's second queuing adds nothing.
    await enqueue(entries, this.settings.notificationRetentionDays, now);
    const wasSuppressed = incident.suppressed !== null;
    await IncidentModel.updateOne(
      { incident_id: incident.incident_id, state: { $ne: 'resolved' } },
      {
        $set: { notified: true, suppressed: null },
        $addToSet: { notified_channels: { $each: channelIds } },
        ...(wasSuppressed ? { $push: pushTimeline(timelineEntry('unsuppressed', now, { actor: 'system', message: `no longer ${incident.suppressed!.reason}` })) } : {}),
      },
    );
    this.wake();
  }

  private async suppress(incident: Incident, reason: string, now: Date): Promise<void> {
    if (incident.suppressed?.reason === reason) return;
    await IncidentModel.updateOne(
      { incident_id: incident.incident_id, state: { $ne: 'resolved' } },
      { $set: { suppressed: { reason, since: now } }, $push: pushTimeline(timelineEntry('suppressed', now, { actor: 'system', message: reason })) },
    );
  }

  private async context(incidents: readonly Incident[]) {
    const serviceIds = [...new Set(incidents.map((i) => i.service_id))];
    const hostIds = [...new Set(incidents.map((i) => i.host_id))];
    const causeIds = [...new Set(incidents.map((i) => i.caused_by?.incident_id).filter((id): id is string => Boolean(id)))];
    const [services, hosts, environments, openCauses] = await Promise.all([
      ServiceModel.find({ service_id: { $in: serviceIds } }, { service_id: 1, alerting: 1, host_id: 1, environment: 1 }).lean<Routing[]>(),
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
