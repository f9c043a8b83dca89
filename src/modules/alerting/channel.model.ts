import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import { SEVERITIES, type Severity } from '../../common/enums.js';
import { graphqlEnum, SeverityEnum } from '../../graphql/enums.js';

export const CHANNEL_TYPES = ['webhook', 'slack', 'email', 'pagerduty', 'alertmanager'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const ChannelTypeEnum = graphqlEnum(
  CHANNEL_TYPES,
  'NotificationChannelType',
  'WEBHOOK (signed JSON), SLACK (incoming webhook), EMAIL (SMTP), PAGERDUTY (Events API v2), ALERTMANAGER (API v2 alerts). A service’s alerting.channels names the types it notifies.',
);

export const SMTP_SECURITY = ['starttls', 'tls', 'none'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITY)[number];
export const SmtpSecurityEnum = graphqlEnum(SMTP_SECURITY, 'SmtpSecurity', 'STARTTLS (upgrade required, port 587), TLS (implicit, port 465), NONE (plain; loopback test servers only).');

/** What a channel type reads besides its secret; each type uses its own fields (see the channel modules). */
@ObjectType({ description: 'Where a channel delivers. Secrets (signing secret, Slack URL, routing key, SMTP password) are never returned.' })
export class ChannelSettings {
  @Field(() => String, { nullable: true, description: 'WEBHOOK: the URL posted to; ALERTMANAGER: its base URL (…/api/v2/alerts is appended); PAGERDUTY: the Events API URL (default https://events.pagerduty.com/v2/enqueue). Credentials in it are read masked.' })
  @prop({ type: String, default: null })
  public url!: string | null;

  @Field(() => [String], { nullable: true, description: 'EMAIL: recipients.' })
  @prop({ type: () => [String], default: undefined })
  public to?: string[];

  @Field(() => String, { nullable: true, description: 'EMAIL: the sender address.' })
  @prop({ type: String, default: null })
  public from!: string | null;

  @Field(() => String, { name: 'smtpHost', nullable: true })
  @prop({ type: String, default: null })
  public smtp_host!: string | null;

  @Field(() => Int, { name: 'smtpPort', nullable: true })
  @prop({ type: Number, default: null })
  public smtp_port!: number | null;

  @Field(() => SmtpSecurityEnum, { name: 'smtpSecurity', nullable: true })
  @prop({ type: String, default: null })
  public smtp_security!: SmtpSecurity | null;

  @Field(() => String, { name: 'smtpUser', nullable: true })
  @prop({ type: String, default: null })
  public smtp_user!: string | null;
}

/** A notification channel as stored. `secret` is write-only: no resolver reads it. */
@modelOptions({ schemaOptions: { collection: 'notification_channels', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' }, versionKey: false } })
@index({ channel_id: 1 }, { unique: true })
@index({ name: 1 }, { unique: true })
@index({ type: 1 })
@ObjectType({ description: 'A place notifications go: admins manage channels; services name the channel types they notify.' })
export class NotificationChannel {
  @Field({ name: 'channelId' })
  @prop({ required: true })
  public channel_id!: string;

  @Field({ description: 'Unique; escalation steps name channels by it.' })
  @prop({ required: true })
  public name!: string;

  @Field(() => ChannelTypeEnum)
  @prop({ required: true, type: String })
  public type!: ChannelType;

  @Field({ description: 'A disabled channel sends nothing (its queued notifications wait).' })
  @prop({ required: true, default: true })
  public enabled!: boolean;

  @Field(() => SeverityEnum, { name: 'minSeverity', description: 'Incidents below this severity are not sent here.' })
  @prop({ required: true, type: String, enum: SEVERITIES, default: 'low' })
  public min_severity!: Severity;

  @Field(() => Int, { name: 'ratePerMinute', description: 'Most messages a minute (over all processes); more wait their turn.' })
  @prop({ required: true, default: 30 })
  public rate_per_minute!: number;

  @Field(() => ChannelSettings)
  @prop({ type: () => ChannelSettings, _id: false, default: () => ({}) })
  public settings!: ChannelSettings;

  /** The type's secret (webhook signing secret, Slack webhook URL, PagerDuty routing key, SMTP password, Alertmanager password). */
  @prop({ type: String, default: null })
  public secret!: string | null;

  @Field(() => Date, { name: 'createdAt' })
  public created_at!: Date;

  @Field(() => Date, { name: 'updatedAt' })
  public updated_at!: Date;
}

export const NotificationChannelModel = getModelForClass(NotificationChannel);
