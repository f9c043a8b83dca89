import type { ChannelType } from '../channel.model.js';
import { alertmanagerChannel } from './alertmanager.channel.js';
import type { ChannelSender } from './channel.js';
import { emailChannel } from './email.channel.js';
import { pagerDutyChannel } from './pagerduty.channel.js';
import { slackChannel } from './slack.channel.js';
import { webhookChannel } from './webhook.channel.js';

/** Every channel type, one line each (the README's checklist for a new channel starts here). */
export const channelSenders: Record<ChannelType, ChannelSender> = {
  webhook: webhookChannel,
  slack: slackChannel,
  email: emailChannel,
  pagerduty: pagerDutyChannel,
  alertmanager: alertmanagerChannel,
};
