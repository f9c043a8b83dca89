import nodemailer from 'nodemailer';
import type { NotificationChannel } from '../channel.model.js';
import { DeliveryError, type AlertMessage, type ChannelSender } from './channel.js';

/** The plain-text body: one block per incident, then what else is affected. */
export function emailText(message: AlertMessage): string {
  const blocks = message.incidents.map((i) =>
    [
      `${i.service_name} on ${i.hostname}`,
      `  state: ${i.state}, severity: ${i.severity}`,
      `  environment: ${i.environment}, region: ${i.region}`,
      `  opened: ${i.opened_at.toISOString()}${i.resolved_at ? `, resolved: ${i.resolved_at.toISOString()}` : ''}`,
      ...(i.last_error ? [`  last error: ${i.last_error}`] : []),
      `  incident: ${i.incident_id}`,
    ].join('\n'),
  );
  const dependents = message.dependents.length ? [`Also affected (they depend on it): ${message.dependents.map((d) => `${d.service_name} on ${d.hostname}`).join(', ')}`] : [];
  return [message.summary, '', ...(message.note ? [message.note, ''] : []), ...blocks, ...(dependents.length ? ['', ...dependents] : []), ''].join('\n');
}

/**
 * SMTP through nodemailer. STARTTLS is required unless the channel says TLS (implicit, port 465) or NONE; the
 * server's certificate is verified against the system's CAs (and NODE_EXTRA_CA_CERTS).
 */
export const emailChannel: ChannelSender = {
  async send(message: AlertMessage, channel: NotificationChannel, signal: AbortSignal) {
    const { smtp_host: host, smtp_port: port, smtp_security: security, smtp_user: user, from, to } = channel.settings;
    if (!host || !from || !to?.length) throw new DeliveryError('the channel needs smtpHost, from and to', false);
    const transport = nodemailer.createTransport({
      host,
      port: port ?? (security === 'tls' ? 465 : 587),
      secure: security === 'tls',
      requireTLS: (security ?? 'starttls') === 'starttls',
      ignoreTLS: security === 'none',
      auth: user ? { user, pass: channel.secret ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    const abort = () => transport.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await transport.sendMail({ from, to, subject: message.summary.slice(0, 200), text: emailText(message) });
    } catch (error) {
      throw smtpFailure(error, signal.aborted);
    } finally {
      signal.removeEventListener('abort', abort);
      transport.close();
    }
  },
};

/** 5xx SMTP answers are permanent (a refused address); connection trouble and 4xx are worth another try. */
function smtpFailure(error: unknown, timedOut: boolean): DeliveryError {
  if (timedOut) return new DeliveryError('timed out', true);
  const { responseCode, code, message } = error as { responseCode?: number; code?: string; message?: string };
  if (responseCode !== undefined) return new DeliveryError(`SMTP ${responseCode}: ${String(message ?? '').slice(0, 200)}`, responseCode < 500);
  return new DeliveryError(`could not deliver (${code ?? message ?? 'unknown error'})`, code !== 'EAUTH' && code !== 'EENVELOPE');
}
