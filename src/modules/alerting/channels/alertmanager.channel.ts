import type { NotificationChannel } from '../channel.model.js';
import { DeliveryError, postJson, type AlertMessage, type ChannelSender, type IncidentBrief } from './channel.js';

/**
 * A firing alert is sent with `endsAt` this far ahead, so Alertmanager keeps it firing until we resolve it
 * (without `endsAt` it would resolve it on its own after its resolve_timeout, 5 minutes by default).
 */
export const FIRING_HORIZON_MS = 7 * 24 * 3_600_000;

/** API v2 alerts: labels service, host, environment, region, severity (its routing and silences use them). */
export function alertmanagerAlerts(message: AlertMessage): Record<string, unknown>[] {
  if (message.event === 'test') {
    const now = message.sent_at;
    return [{ labels: { alertname: 'ServiceMonitorTest', severity: 'low' }, annotations: { summary: message.summary }, startsAt: now.toISOString(), endsAt: new Date(+now + 60_000).toISOString() }];
  }
  return message.incidents.map((incident) => alert(message, incident));
}

function alert(message: AlertMessage, incident: IncidentBrief): Record<string, unknown> {
  const endsAt = incident.resolved_at ?? new Date(+message.sent_at + FIRING_HORIZON_MS);
  return {
    labels: {
      alertname: 'ServiceDown',
      service: incident.service_name,
      service_id: incident.service_id,
      host: incident.hostname,
      host_id: incident.host_id,
      environment: incident.environment,
      region: incident.region,
      severity: incident.severity,
    },
    annotations: {
      summary: `${incident.service_name} on ${incident.hostname} is down`,
      ...(incident.last_error ? { description: incident.last_error } : {}),
      incident_id: incident.incident_id,
      ...(message.dependents.length ? { dependents: message.dependents.map((d) => d.service_id).join(',') } : {}),
    },
    startsAt: incident.opened_at.toISOString(),
    endsAt: endsAt.toISOString(),
  };
}

export const alertmanagerChannel: ChannelSender = {
  async send(message: AlertMessage, channel: NotificationChannel, signal: AbortSignal) {
    const base = channel.settings.url;
    if (!base) throw new DeliveryError('the channel has no url', false);
    // Alertmanager has no acknowledgement: the alert stays firing until resolved (silence it there to mute).
    if (message.event === 'acknowledged' || message.event === 'recovery_notice') return;
    // The channel's secret, when set, is sent as a bearer token (Alertmanager behind an authenticating proxy).
    const headers: Record<string, string> = channel.secret ? { authorization: `Bearer ${channel.secret}` } : {};
    await postJson(`${base.replace(/\/+$/, '')}/api/v2/alerts`, alertmanagerAlerts(message), signal, headers);
  },
};
