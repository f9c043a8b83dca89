import { ServiceModel, type Service } from '../services/service.model.js';
import { NotificationChannelModel, type NotificationChannel } from './channel.model.js';
import type { ChannelService } from './channel.service.js';
import { EscalationPolicyModel, type EscalationPolicy } from './escalation-policy.model.js';
import { dueSteps } from './escalation.js';
import { pushTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident } from './incident.model.js';
import { enqueue, type OutboxEntry } from './outbox.js';

type PolicyRef = Pick<Service, 'service_id' | 'alerting'>;

/**
 * Escalation: an open, unacknowledged incident whose service names an escalation policy reaches each step's
 * channels when the step's time comes, then the last step again every `repeat_every_minutes`. A recovery that
 * gave up escalates at once. Each step is queued with a stable id, so every process may sweep.
 */
export class Escalator {
  constructor(
    private readonly channels: ChannelService,
    private readonly notificationRetentionDays: number,
    private readonly wake: () => void = () => {},
  ) {}

  /** Queues every step now due; resolves with how many steps were queued (first time). */
  async sweep(now = new Date()): Promise<number> {
    // Only services naming a policy escalate: an outage's thousands of open incidents without one are not read.
    const escalating = await ServiceModel.find({ 'alerting.escalation_policy': { $gt: '' } }, { service_id: 1 }).lean<Pick<Service, 'service_id'>[]>();
    if (escalating.length === 0) return 0;
    const waiting = await IncidentModel.find({ open_service_id: { $in: escalating.map((s) => s.service_id) }, state: 'triggered', notified: true }, { timeline: 0 }).limit(5_000).lean<Incident[]>();
    if (waiting.length === 0) return 0;
    const { policyOf, channelsByName } = await this.context(waiting);
    let queued = 0;
    for (const incident of waiting) {
      const policy = policyOf(incident.service_id);
      if (!policy) continue;
      for (const step of dueSteps(policy, incident.opened_at, now)) {
        const note = `escalation '${policy.name}', step ${step.index + 1}${step.occurrence.includes('repeat') ? ' (repeated)' : ''}: unacknowledged for ${Math.round((+now - +incident.opened_at) / 60_000)} min`;
        queued += await this.escalate(incident, channelsByName(step.channels), step.occurrence, note, now);
      }
    }
    return queued;
  }

  /** Recovery gave up: the first step of the service's policy hears it now (else its usual channels, again). */
  async recoveryGaveUp(incidentId: string, message: string | null, now = new Date()): Promise<void> {
    const incident = await IncidentModel.findOne({ incident_id: incidentId, state: { $ne: 'resolved' } }, { timeline: 0 }).lean<Incident>();
    if (!incident) return;
    const { policyOf, channelsByName } = await this.context([incident]);
    const policy = policyOf(incident.service_id);
    const targets = policy?.steps[0] ? channelsByName(policy.steps[0].channels) : await this.channels.byIds(incident.notified_channels).then((m) => [...m.values()]);
    await this.escalate(incident, targets, 'recovery-gave-up', `recovery gave up${message ? `: ${message}` : ''}`, now);
  }

  private async escalate(incident: Incident, channels: NotificationChannel[], occurrence: string, note: string, now: Date): Promise<number> {
    const entries: OutboxEntry[] = channels
      .filter((c) => c.enabled)
      .map((c) => ({ channel_id: c.channel_id, incident_id: incident.incident_id, event: 'escalated', group_key: `incident:${incident.incident_id}`, not_before: now, note, occurrence }));
    if ((await enqueue(entries, this.notificationRetentionDays, now)) === 0) return 0;
    await IncidentModel.updateOne(
      { incident_id: incident.incident_id },
      { $addToSet: { notified_channels: { $each: entries.map((e) => e.channel_id) } }, $push: pushTimeline(timelineEntry('escalated', now, { actor: 'system', message: note })) },
    );
    this.wake();
    return 1;
  }

  private async context(incidents: Incident[]) {
    const services = await ServiceModel.find({ service_id: { $in: [...new Set(incidents.map((i) => i.service_id))] } }, { service_id: 1, alerting: 1 }).lean<PolicyRef[]>();
    const policyNames = [...new Set(services.map((s) => s.alerting?.escalation_policy).filter((n): n is string => Boolean(n)))];
    const policies = policyNames.length ? await EscalationPolicyModel.find({ name: { $in: policyNames } }).lean<EscalationPolicy[]>() : [];
    const names = [...new Set(policies.flatMap((p) => p.steps.flatMap((s) => s.channels)))];
    const channels = names.length ? await NotificationChannelModel.find({ name: { $in: names } }).lean<NotificationChannel[]>() : [];
    const policyByName = new Map(policies.map((p) => [p.name, p]));
    const serviceById = new Map(services.map((s) => [s.service_id, s]));
    const channelByName = new Map(channels.map((c) => [c.name, c]));
    return {
      policyOf: (serviceId: string) => policyByName.get(serviceById.get(serviceId)?.alerting?.escalation_policy ?? ''),
      channelsByName: (list: string[]) => list.map((n) => channelByName.get(n)).filter((c): c is NotificationChannel => Boolean(c)),
    };
  }
}
