/**
 * The inventory as a file (config as code): environments, hosts and services in the stored (seed) field names,
 * each entry what the domain's create takes. Secrets are never written: a credential in a target or endpoint and a
 * host's key path read `***`, which applied back keeps the stored value.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { InvalidInputError } from '../../common/errors.js';
import { MASK, maskTarget } from '../../common/secrets.js';
import type { NotificationChannel } from '../alerting/channel.model.js';
import type { EscalationPolicy } from '../alerting/escalation-policy.model.js';
import type { Environment } from '../environments/environment.model.js';
import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';

export const INVENTORY_VERSION = 1;
export const INVENTORY_FORMATS = ['yaml', 'json'] as const;
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];

export type Entry = Record<string, unknown>;

export interface InventoryFile {
  version: number;
  environments: Entry[];
  channels: Entry[];
  escalation_policies: Entry[];
  hosts: Entry[];
  services: Entry[];
}

export const SECTIONS = ['environments', 'channels', 'escalation_policies', 'hosts', 'services'] as const;

/** What an entry of each kind has: the fields its create takes. */
export const ENTRY_FIELDS = {
  environment: ['env_name', 'description', 'color', 'alert_severity', 'maintenance_window', 'approval_required', 'failure_threshold', 'success_threshold', 'status_page'],
  host: ['host_id', 'hostname', 'ip_address', 'environment', 'region', 'location', 'ssh_config', 'metadata', 'status'],
  channel: ['name', 'type', 'enabled', 'min_severity', 'rate_per_minute', 'url', 'to', 'from', 'smtp_host', 'smtp_port', 'smtp_security', 'smtp_user', 'secret'],
  escalation_policy: ['name', 'steps', 'repeat_every_minutes'],
  service: ['service_id', 'host_id', 'service_name', 'service_type', 'display_name', 'description', 'monitoring', 'recovery', 'alerting', 'health_check', 'tags', 'dependencies'],
} as const;

export function environmentEntry(environment: Environment): Entry {
  return pick(environment, ENTRY_FIELDS.environment);
}

/** A channel as its create takes it (flat); its secret and any credential in its URL as ***. */
export function channelEntry(channel: NotificationChannel): Entry {
  const { settings, secret, ...rest } = channel;
  const entry = pick({ ...rest, ...settings, url: maskTarget(settings?.url ?? null), secret: secret ? MASK : null }, ENTRY_FIELDS.channel);
  return entry;
}

export function policyEntry(policy: EscalationPolicy): Entry {
  return { ...pick(policy, ENTRY_FIELDS.escalation_policy), steps: policy.steps.map((step) => ({ after_minutes: step.after_minutes, channels: step.channels })) };
}

export function hostEntry(host: Host): Entry {
  const entry = pick(host, ENTRY_FIELDS.host);
  const ssh = entry.ssh_config as Record<string, unknown> | null | undefined;
  if (ssh) entry.ssh_config = { ...ssh, key_path: ssh.key_path ? MASK : null };
  else delete entry.ssh_config;
  return entry;
}

export function serviceEntry(service: Service): Entry {
  const entry = pick(service, ENTRY_FIELDS.service);
  entry.monitoring = { ...service.monitoring, target: maskTarget(service.monitoring.target) };
  entry.health_check = { ...service.health_check, endpoint: maskTarget(service.health_check?.endpoint) };
  return entry;
}

export function formatInventory(file: InventoryFile, format: InventoryFormat): string {
  return format === 'json' ? `${JSON.stringify(file, null, 2)}\n` : stringifyYaml(file, { lineWidth: 0 });
}

/** A file's text (YAML, of which JSON is a part) as an inventory, or BAD_USER_INPUT saying what is wrong. */
export function parseInventory(text: string): InventoryFile {
  let raw: unknown;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    // JSON read as JSON: the YAML parser took most of a 60,000-service file's apply (and its memory).
    raw = /^\s*\{/.test(body) ? JSON.parse(body) : parseYaml(body, { maxAliasCount: 100 });
  } catch (error) {
    throw InvalidInputError.single('document', `is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw InvalidInputError.single('document', `must be an object with version and ${SECTIONS.join(', ')}`);
  const file = raw as Record<string, unknown>;
  const problems = [];
  if (file.version !== INVENTORY_VERSION) problems.push({ field: 'version', message: `must be ${INVENTORY_VERSION}, got ${JSON.stringify(file.version)}` });
  for (const key of SECTIONS) {
    if (file[key] === undefined) continue;
    if (!Array.isArray(file[key]) || !(file[key] as unknown[]).every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))) problems.push({ field: key, message: 'must be a list of objects' });
  }
  const unknown = Object.keys(file).filter((key) => key !== 'version' && !(SECTIONS as readonly string[]).includes(key));
  for (const key of unknown) problems.push({ field: key.slice(0, 64), message: 'is not a part of an inventory file' });
  if (problems.length > 0) throw new InvalidInputError(problems);
  const section = (key: (typeof SECTIONS)[number]) => (file[key] as Entry[] | undefined) ?? [];
  return { version: INVENTORY_VERSION, environments: section('environments'), channels: section('channels'), escalation_policies: section('escalation_policies'), hosts: section('hosts'), services: section('services') };
}

function pick(doc: object, fields: readonly string[]): Entry {
  const entry: Entry = {};
  for (const field of fields) if ((doc as Entry)[field] !== undefined) entry[field] = (doc as Entry)[field];
  return entry;
}
