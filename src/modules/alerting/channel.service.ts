import { randomUUID } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import { SEVERITIES, type Severity } from '../../common/enums.js';
import { isHttpUrl } from '../../common/validation.js';
import { isDuplicateKeyError } from '../../db/mongo-errors.js';
import { CHANNEL_TYPES, NotificationChannelModel, SMTP_SECURITY, type ChannelSettings, type ChannelType, type NotificationChannel, type SmtpSecurity } from './channel.model.js';
import { meetsSeverity } from './incident-rules.js';

/** What a caller may set on a channel; undefined leaves a stored value as it is. */
export interface ChannelInput {
  name?: string;
  type?: ChannelType;
  enabled?: boolean;
  min_severity?: Severity;
  rate_per_minute?: number;
  url?: string | null;
  to?: string[] | null;
  from?: string | null;
  smtp_host?: string | null;
  smtp_port?: number | null;
  smtp_security?: SmtpSecurity | null;
  smtp_user?: string | null;
  /** Write-only: null clears it. */
  secret?: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const EMAIL = /^[^\s@<>]{1,64}@[^\s@<>]{1,255}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;
/** What the routing reads so often: channels change rarely, so a read is kept this long. */
const ROUTING_CACHE_MS = 5_000;

/** Channels' CRUD (admin) and routing: which enabled channels of the given types take an incident of a severity. */
export class ChannelService {
  private cached: { at: number; channels: Promise<NotificationChannel[]> } | null = null;

  async list(): Promise<NotificationChannel[]> {
    return NotificationChannelModel.find().sort({ name: 1 }).lean<NotificationChannel[]>();
  }

  async get(channelId: string): Promise<NotificationChannel | null> {
    return NotificationChannelModel.findOne({ channel_id: channelId }).lean<NotificationChannel>();
  }

  async create(input: ChannelInput): Promise<NotificationChannel> {
    if (!input.name) throw InvalidInputError.single('name', 'is required');
    if (!input.type) throw InvalidInputError.single('type', 'is required');
    const channel = { channel_id: `ch_${randomUUID().slice(0, 12)}`, ...normalize(input, null) };
    validate(channel);
    try {
      const created = await NotificationChannelModel.create(channel);
      this.cached = null;
      return created.toObject() as NotificationChannel;
    } catch (error) {
      throw duplicateName(error, input.name);
    }
  }

  async update(channelId: string, input: ChannelInput): Promise<NotificationChannel> {
    const stored = await this.get(channelId);
    if (!stored) throw new NotFoundError('notification channel', channelId);
    const next = { ...stored, ...normalize(input, stored) };
    validate(next);
    try {
      const { channel_id: _, ...changes } = normalize(input, stored);
      const updated = await NotificationChannelModel.findOneAndUpdate({ channel_id: channelId }, { $set: changes }, { returnDocument: 'after' }).lean<NotificationChannel>();
      if (!updated) throw new NotFoundError('notification channel', channelId);
      this.cached = null;
      return updated;
    } catch (error) {
      throw duplicateName(error, input.name ?? stored.name);
    }
  }

  async delete(channelId: string): Promise<boolean> {
    const { deletedCount } = await NotificationChannelModel.deleteOne({ channel_id: channelId });
    this.cached = null;
    return deletedCount > 0;
  }

  /** Enabled channels of these types that want incidents of this severity. */
  async route(types: readonly string[], severity: Severity): Promise<NotificationChannel[]> {
    const all = await this.enabled();
    return all.filter((c) => types.includes(c.type) && meetsSeverity(severity, c.min_severity));
  }

  async byIds(ids: readonly string[]): Promise<Map<string, NotificationChannel>> {
    const channels = await NotificationChannelModel.find({ channel_id: { $in: [...ids] } }).lean<NotificationChannel[]>();
    return new Map(channels.map((c) => [c.channel_id, c]));
  }

  private enabled(): Promise<NotificationChannel[]> {
    if (!this.cached || Date.now() - this.cached.at > ROUTING_CACHE_MS) {
      const channels = NotificationChannelModel.find({ enabled: true }).lean<NotificationChannel[]>().exec();
      channels.catch(() => (this.cached = null));
      this.cached = { at: Date.now(), channels };
    }
    return this.cached.channels;
  }
}

type StoredShape = Omit<NotificationChannel, 'created_at' | 'updated_at'>;

function normalize(input: ChannelInput, stored: NotificationChannel | null): Omit<StoredShape, 'channel_id'> & { channel_id?: string } {
  const settings: ChannelSettings = { ...{ url: null, from: null, smtp_host: null, smtp_port: null, smtp_security: null, smtp_user: null }, ...(stored?.settings ?? {}) };
  for (const key of ['url', 'to', 'from', 'smtp_host', 'smtp_port', 'smtp_security', 'smtp_user'] as const) {
    if (input[key] !== undefined) (settings as unknown as Record<string, unknown>)[key] = input[key] === null ? (key === 'to' ? undefined : null) : input[key];
  }
  return {
    name: (input.name ?? stored?.name)!.trim(),
    type: (input.type ?? stored?.type)!,
    enabled: input.enabled ?? stored?.enabled ?? true,
    min_severity: input.min_severity ?? stored?.min_severity ?? 'low',
    rate_per_minute: input.rate_per_minute ?? stored?.rate_per_minute ?? 30,
    settings,
    secret: input.secret === undefined ? (stored?.secret ?? null) : input.secret === null || input.secret === '' ? null : input.secret,
  };
}

/** Every problem at once, in the API's field names. */
function validate(channel: Omit<StoredShape, 'channel_id'>): void {
  const problems: { field: string; message: string }[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const { settings: s } = channel;
  if (!NAME.test(channel.name)) problem('name', 'must be 1-64 letters, digits, spaces, _ . - starting with a letter or digit');
  if (!CHANNEL_TYPES.includes(channel.type)) problem('type', `must be one of ${CHANNEL_TYPES.join(', ')}`);
  if (!SEVERITIES.includes(channel.min_severity)) problem('minSeverity', `must be one of ${SEVERITIES.join(', ')}`);
  if (!Number.isInteger(channel.rate_per_minute) || channel.rate_per_minute < 1 || channel.rate_per_minute > 6000) problem('ratePerMinute', `must be 1-6000, got ${channel.rate_per_minute}`);
  if (channel.secret !== null && (channel.secret.length > 4096 || /[\r\n]/.test(channel.secret))) problem('secret', 'must be at most 4096 characters on one line');
  if (s.url !== null && !isPlainHttpUrl(s.url)) problem('url', 'must be an http(s) URL without credentials');
  switch (channel.type) {
    case 'webhook':
    case 'alertmanager':
      if (!s.url) problem('url', `is required for ${channel.type.toUpperCase()}`);
      break;
    case 'slack':
      if (!channel.secret) problem('secret', 'is required for SLACK: the incoming-webhook URL');
      else if (!isPlainHttpUrl(channel.secret)) problem('secret', 'must be the Slack incoming-webhook URL (https://hooks.slack.com/services/...)');
      break;
    case 'pagerduty':
      if (!channel.secret) problem('secret', 'is required for PAGERDUTY: the integration’s routing key');
      break;
    case 'email':
      if (!s.smtp_host) problem('smtpHost', 'is required for EMAIL');
      else if (!HOST.test(s.smtp_host)) problem('smtpHost', 'must be a host name or address');
      if (!s.from || !EMAIL.test(s.from)) problem('from', 'must be an email address');
      if (!s.to?.length) problem('to', 'needs at least one address');
      else s.to.forEach((address, i) => EMAIL.test(address) || problem(`to[${i}]`, `is not an email address: ${address.slice(0, 80)}`));
      if (s.to && s.to.length > 50) problem('to', 'at most 50 addresses');
      if (s.smtp_port !== null && (!Number.isInteger(s.smtp_port) || s.smtp_port < 1 || s.smtp_port > 65535)) problem('smtpPort', `must be 1-65535, got ${s.smtp_port}`);
      if (s.smtp_security !== null && !SMTP_SECURITY.includes(s.smtp_security)) problem('smtpSecurity', `must be one of ${SMTP_SECURITY.join(', ')}`);
      if (s.smtp_user !== null && s.smtp_user.length > 256) problem('smtpUser', 'at most 256 characters');
      break;
  }
  if (problems.length) throw new InvalidInputError(problems);
}

/** An http(s) URL (the project's rule) that carries no credentials: a channel's secret goes in `secret`. */
function isPlainHttpUrl(value: string): boolean {
  if (value.length > 2048 || !isHttpUrl(value)) return false;
  const url = new URL(value);
  return !url.username && !url.password;
}

function duplicateName(error: unknown, name: string | undefined): unknown {
  return isDuplicateKeyError(error) ? InvalidInputError.single('name', `a channel named '${name}' already exists`) : error;
}
