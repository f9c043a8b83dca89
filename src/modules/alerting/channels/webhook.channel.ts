import { createHmac } from 'node:crypto';
import type { NotificationChannel } from '../channel.model.js';
import { DeliveryError, postJson, type AlertMessage, type ChannelSender, type IncidentBrief } from './channel.js';

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the channel's secret>`. */
export const SIGNATURE_HEADER = 'x-service-monitor-signature';

/** The webhook body, version 1 (documented in the README): stable snake_case, ISO dates. */
export function webhookBody(message: AlertMessage): Record<string, unknown> {
  return {
    version: 1,
    event: message.event,
    summary: message.summary,
    note: message.note,
    sent_at: message.sent_at.toISOString(),
    incidents: message.incidents.map(incidentJson),
    dependents: message.dependents.map(incidentJson),
  };
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export const webhookChannel: ChannelSender = {
  async send(message: AlertMessage, channel: NotificationChannel, signal: AbortSignal) {
    const url = channel.settings.url;
    if (!url) throw new DeliveryError('the channel has no url', false);
    const body = JSON.stringify(webhookBody(message));
    const headers: Record<string, string> = {};
    if (channel.secret) headers[SIGNATURE_HEADER] = sign(channel.secret, Math.floor(message.sent_at.getTime() / 1000), body);
    await postJson(url, body, signal, headers);
  },
};

function incidentJson(incident: IncidentBrief): Record<string, unknown> {
  return {
    incident_id: incident.incident_id,
    state: incident.state,
    severity: incident.severity,
    service_id: incident.service_id,
    service_name: incident.service_name,
    host_id: incident.host_id,
    hostname: incident.hostname,
    environment: incident.environment,
    region: incident.region,
    opened_at: incident.opened_at.toISOString(),
    acknowledged_at: incident.acknowledged_at?.toISOString() ?? null,
    resolved_at: incident.resolved_at?.toISOString() ?? null,
    last_error: incident.last_error,
    caused_by_incident_id: incident.caused_by_incident_id,
  };
}
