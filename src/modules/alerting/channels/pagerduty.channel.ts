import type { Severity } from '../../../common/enums.js';
import type { NotificationChannel } from '../channel.model.js';
import { DeliveryError, postJson, type AlertMessage, type ChannelSender, type IncidentBrief } from './channel.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const ACTION = { triggered: 'trigger', escalated: 'trigger', flapping: 'trigger', acknowledged: 'acknowledge', resolved: 'resolve' } as const;
const PD_SEVERITY: Record<Severity, string> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info' };

/** Events API v2: one event per incident, `dedup_key` = the incident id (so acknowledge and resolve find it). */
export function pagerDutyEvents(message: AlertMessage, routingKey: string): Record<string, unknown>[] {
  // A page is for an incident: a recovery about to run is not one (the incident's own events follow).
  if (message.event === 'recovery_notice') return [];
  if (message.event === 'test') {
    return [{ routing_key: routingKey, event_action: 'trigger', dedup_key: `test-${message.sent_at.getTime()}`, payload: { summary: message.summary.slice(0, 1024), source: 'service-monitor', severity: 'info' } }];
  }
  return message.incidents.map((incident) => event(message, incident, routingKey));
}

function event(message: AlertMessage, incident: IncidentBrief, routingKey: string): Record<string, unknown> {
  const action = ACTION[message.event as keyof typeof ACTION];
  const base = { routing_key: routingKey, event_action: action, dedup_key: incident.incident_id };
  if (action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: `${incident.service_name} on ${incident.hostname} is down${incident.last_error ? `: ${incident.last_error}` : ''}`.slice(0, 1024),
      source: incident.hostname,
      severity: PD_SEVERITY[incident.severity],
      timestamp: incident.opened_at.toISOString(),
      component: incident.service_name,
      group: incident.environment,
      class: 'service down',
      custom_details: { service_id: incident.service_id, host_id: incident.host_id, region: incident.region, note: message.note, dependents: message.dependents.map((d) => d.service_id) },
    },
  };
}

export const pagerDutyChannel: ChannelSender = {
  async send(message: AlertMessage, channel: NotificationChannel, signal: AbortSignal) {
    if (!channel.secret) throw new DeliveryError('the channel has no routing key', false);
    for (const body of pagerDutyEvents(message, channel.secret)) await postJson(channel.settings.url ?? PAGERDUTY_EVENTS_URL, body, signal);
  },
};
