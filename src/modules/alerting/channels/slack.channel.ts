import type { NotificationChannel } from '../channel.model.js';
import { DeliveryError, postJson, type AlertMessage, type ChannelSender } from './channel.js';

/** Slack incoming-webhook payload: `text` (the notification's fallback) and Block Kit blocks. */
export function slackBody(message: AlertMessage): Record<string, unknown> {
  const lines = message.incidents.map(
    (i) => `• *${escape(i.service_name)}* on \`${escape(i.hostname)}\` (${i.environment}, ${escape(i.region)}), ${i.severity}${i.last_error && message.event === 'triggered' ? `: ${escape(i.last_error)}` : ''}`,
  );
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: message.summary.slice(0, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) || escape(message.note ?? '') || ' ' } },
  ];
  if (message.dependents.length > 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Also affected (depend on it): ${message.dependents.map((d) => escape(d.service_name)).join(', ')}`.slice(0, 3000) }] });
  }
  if (message.note && message.incidents.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escape(message.note).slice(0, 3000) }] });
  return { text: message.summary, blocks };
}

/** Slack's mrkdwn control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const slackChannel: ChannelSender = {
  async send(message: AlertMessage, channel: NotificationChannel, signal: AbortSignal) {
    if (!channel.secret) throw new DeliveryError('the channel has no Slack webhook URL', false);
    await postJson(channel.secret, slackBody(message), signal);
  },
};
