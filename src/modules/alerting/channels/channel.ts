import type { EnvironmentName, Severity } from '../../../common/enums.js';
import type { NotificationChannel } from '../channel.model.js';
import type { IncidentState } from '../incident.model.js';
import type { NotificationEvent } from '../outbox.model.js';

/** An incident as a message carries it. */
export interface IncidentBrief {
  incident_id: string;
  service_id: string;
  service_name: string;
  host_id: string;
  hostname: string;
  environment: EnvironmentName;
  region: string;
  severity: Severity;
  state: IncidentState;
  opened_at: Date;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  last_error: string | null;
  caused_by_incident_id: string | null;
}

/** One message to one channel: one or more incidents of one group (a host's services), or a test. */
export interface AlertMessage {
  event: NotificationEvent;
  incidents: IncidentBrief[];
  /** Open incidents caused by these (their own notifications are suppressed): what else is affected. */
  dependents: IncidentBrief[];
  /** An operator's note (acknowledgement) or an escalation's words; the text of a test. */
  note: string | null;
  /** One line that says it all, e.g. `[HIGH] TRIGGERED: mysql.service on db-01 (production) is down: connection refused`. */
  summary: string;
  sent_at: Date;
}

/**
 * A delivery that did not work. `retryable`: a timeout, a connection failure, 5xx or 429 (tried again with
 * backoff, or after `retryAfterMs` when the receiver said); anything else (other 4xx, a bad address) fails the
 * notification with this message.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** One kind of channel: turns a message into the provider's format and delivers it. */
export interface ChannelSender {
  send(message: AlertMessage, channel: NotificationChannel, signal: AbortSignal): Promise<void>;
}

/** Posts JSON; resolves on 2xx, else throws the DeliveryError the status calls for. */
export async function postJson(url: string, body: unknown, signal: AbortSignal, headers: Record<string, string> = {}): Promise<void> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text, signal, redirect: 'error' });
  } catch (error) {
    const reason = signal.aborted ? 'timed out' : `could not connect (${causeOf(error)})`;
    throw new DeliveryError(reason, true);
  }
  const answer = await response.text().catch(() => '');
  if (response.ok) return;
  throw httpFailure(response.status, response.headers.get('retry-after'), answer);
}

export function httpFailure(status: number, retryAfter: string | null, body: string): DeliveryError {
  const retryable = status >= 500 || status === 429 || status === 408;
  const said = body.trim().slice(0, 200);
  return new DeliveryError(`HTTP ${status}${said ? `: ${said}` : ''}`, retryable, retryAfterMs(retryAfter));
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

const SEVERITY_LABEL: Record<Severity, string> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' };

/** The one-line summary of a message (subject line, Slack header, PagerDuty summary). */
export function summarize(event: NotificationEvent, incidents: IncidentBrief[], note: string | null): string {
  if (event === 'test') return `Test notification from service-monitor${note ? `: ${note}` : ''}`;
  const first = incidents[0]!;
  const worst = incidents.reduce((a, b) => (rank(b.severity) > rank(a.severity) ? b : a)).severity;
  const what =
    incidents.length === 1
      ? `${first.service_name} on ${first.hostname} (${first.environment})`
      : `${incidents.length} services on ${first.hostname} (${first.environment}): ${incidents
          .slice(0, 5)
          .map((i) => i.service_name)
          .join(', ')}${incidents.length > 5 ? ', …' : ''}`;
  const verb: Record<Exclude<NotificationEvent, 'test'>, string> = {
    triggered: incidents.length === 1 ? 'is down' : 'are down',
    acknowledged: 'acknowledged',
    resolved: incidents.length === 1 ? 'is back' : 'are back',
    escalated: incidents.length === 1 ? 'is still down, unacknowledged' : 'are still down, unacknowledged',
    flapping: incidents.length === 1 ? 'is flapping' : 'are flapping',
    recovery_notice: 'recovery about to run',
  };
  const error = event === 'triggered' && incidents.length === 1 && first.last_error ? `: ${first.last_error}` : '';
  return `[${SEVERITY_LABEL[worst]}] ${event.toUpperCase()}: ${what} ${verb[event]}${error}${note ? ` (${note})` : ''}`.slice(0, 500);
}

function rank(severity: Severity): number {
  return ['low', 'medium', 'high', 'critical'].indexOf(severity);
}
