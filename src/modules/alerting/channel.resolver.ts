import 'reflect-metadata';
import { Arg, Authorized, Ctx, Field, FieldResolver, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Severity } from '../../common/enums.js';
import { NotFoundError } from '../../common/errors.js';
import { maskTarget } from '../../common/secrets.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { SeverityEnum } from '../../graphql/enums.js';
import { ChannelSettings, ChannelTypeEnum, NotificationChannel, SmtpSecurityEnum, type ChannelType, type SmtpSecurity } from './channel.model.js';
import type { ChannelInput } from './channel.service.js';
import { testChannel } from './channel-test.js';

@InputType({ description: 'A channel’s fields; on update every field is optional and an omitted one keeps its value. `secret` is write-only: null removes it.' })
class NotificationChannelUpdateInput {
  @Field({ nullable: true }) name?: string;
  @Field({ nullable: true }) enabled?: boolean;
  @Field(() => SeverityEnum, { nullable: true }) minSeverity?: Severity;
  @Field(() => Int, { nullable: true, description: 'Most messages a minute (default 30).' }) ratePerMinute?: number;
  @Field(() => String, { nullable: true, description: 'WEBHOOK: the URL; ALERTMANAGER: the base URL; PAGERDUTY: the Events API URL (optional).' }) url?: string | null;
  @Field(() => [String], { nullable: true, description: 'EMAIL: recipients.' }) to?: string[] | null;
  @Field(() => String, { nullable: true, description: 'EMAIL: sender.' }) from?: string | null;
  @Field(() => String, { nullable: true }) smtpHost?: string | null;
  @Field(() => Int, { nullable: true }) smtpPort?: number | null;
  @Field(() => SmtpSecurityEnum, { nullable: true, description: 'Default STARTTLS.' }) smtpSecurity?: SmtpSecurity | null;
  @Field(() => String, { nullable: true }) smtpUser?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Write-only. WEBHOOK: the HMAC signing secret; SLACK: the incoming-webhook URL; PAGERDUTY: the routing key; EMAIL: the SMTP password; ALERTMANAGER: a bearer token.',
  })
  secret?: string | null;
}

@InputType()
class NotificationChannelCreateInput extends NotificationChannelUpdateInput {
  @Field() declare name: string;
  @Field(() => ChannelTypeEnum) type!: ChannelType;
}

@ObjectType({ description: 'What a test message did.' })
class ChannelTestResult {
  @Field() delivered!: boolean;
  @Field(() => String, { nullable: true, description: 'Why not, as the receiver or the connection said.' }) error!: string | null;
  @Field(() => Int, { name: 'durationMs' }) duration_ms!: number;
}

function toChannelInput(input: NotificationChannelUpdateInput & { type?: ChannelType }): ChannelInput {
  return {
    name: input.name,
    type: input.type,
    enabled: input.enabled,
    min_severity: input.minSeverity,
    rate_per_minute: input.ratePerMinute,
    url: input.url,
    to: input.to,
    from: input.from,
    smtp_host: input.smtpHost,
    smtp_port: input.smtpPort,
    smtp_security: input.smtpSecurity,
    smtp_user: input.smtpUser,
    secret: input.secret,
  };
}

@Resolver(() => NotificationChannel)
export class NotificationChannelResolver {
  @Authorized('admin')
  @Query(() => [NotificationChannel])
  notificationChannels(@Ctx() { domain }: GraphQLContext): Promise<NotificationChannel[]> {
    return domain.alerting.channels.list();
  }

  @Authorized('admin')
  @Query(() => NotificationChannel, { nullable: true })
  notificationChannel(@Arg('channelId') channelId: string, @Ctx() { domain }: GraphQLContext): Promise<NotificationChannel | null> {
    return domain.alerting.channels.get(channelId);
  }

  @Authorized('admin')
  @Mutation(() => NotificationChannel)
  createNotificationChannel(@Arg('input') input: NotificationChannelCreateInput, @Ctx() { domain }: GraphQLContext): Promise<NotificationChannel> {
    return domain.alerting.channels.create(toChannelInput(input));
  }

  @Authorized('admin')
  @Mutation(() => NotificationChannel)
  updateNotificationChannel(@Arg('channelId') channelId: string, @Arg('input') input: NotificationChannelUpdateInput, @Ctx() { domain }: GraphQLContext): Promise<NotificationChannel> {
    return domain.alerting.channels.update(channelId, toChannelInput(input));
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'True when it existed. Its queued notifications fail (the channel was deleted).' })
  deleteNotificationChannel(@Arg('channelId') channelId: string, @Ctx() { domain }: GraphQLContext): Promise<boolean> {
    return domain.alerting.channels.delete(channelId);
  }

  @Authorized('admin')
  @Mutation(() => ChannelTestResult, { description: 'Sends a test message now (not through the outbox) and says how it went.' })
  async testNotificationChannel(@Arg('channelId') channelId: string, @Ctx() { domain }: GraphQLContext): Promise<ChannelTestResult> {
    const channel = await domain.alerting.channels.get(channelId);
    if (!channel) throw new NotFoundError('notification channel', channelId);
    return testChannel(channel);
  }

  @Authorized('admin')
  @FieldResolver(() => Boolean, { name: 'secretConfigured', description: 'Whether a secret is stored (it is never returned).' })
  secretConfigured(@Root() channel: NotificationChannel): boolean {
    return Boolean(channel.secret);
  }

  @Authorized('admin')
  @FieldResolver(() => ChannelSettings)
  settings(@Root() channel: NotificationChannel): ChannelSettings {
    return { ...channel.settings, url: maskTarget(channel.settings?.url ?? null) };
  }
}
