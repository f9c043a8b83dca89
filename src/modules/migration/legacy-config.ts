import { createHash } from 'node:crypto';
import { canonicalAddress } from '../../common/ip-address.js';
import { serviceTypeOf } from '../services/service-naming.js';
import type { CheckMethod, EnvironmentName, RecoverAction } from '../../common/enums.js';
import type { SshHostInput } from '../hosts/host.input.js';
import type { ServiceInput } from '../services/service.input.js';

/** One entry of the old monitor's config.json `targets[]`. */
export interface LegacyTarget {
  name?: unknown;
  host?: unknown;
  ssh?: { user?: unknown; port?: unknown } | unknown;
  service?: unknown;
  method?: unknown;
  interval_sec?: unknown;
  recover_on_down?: unknown;
  recover_action?: unknown;
  use_sudo?: unknown;
}

/** Where each stored field comes from in a target, so errors name the field the operator wrote. */
export const TARGET_FIELD_OF: Readonly<Record<string, string>> = {
  hostname: 'name',
  ip_address: 'host',
  'ssh_config.user': 'ssh.user',
  'ssh_config.port': 'ssh.port',
  'ssh_config.use_sudo': 'use_sudo',
  service_name: 'service',
  service_type: 'service',
  'monitoring.method': 'method',
  'monitoring.interval_sec': 'interval_sec',
  'monitoring.timeout_sec': 'interval_sec',
  'recovery.recover_on_down': 'recover_on_down',
  'recovery.recover_action': 'recover_action',
  'recovery.custom_script': 'recover_action',
  host_id: 'host',
  service_id: 'service',
  tags: 'service',
  display_name: 'service',
  description: 'service',
  'metadata.purpose': 'service',
  // The services' own API names, for an error raised by a service write rather than the models' validation.
  serviceName: 'service',
  serviceType: 'service',
  hostId: 'host',
  serviceId: 'service',
};

/**
 * The config.json field a stored field came from. A field with no counterpart is the target as a whole:
 * an internal name would point the operator at something their file does not have.
 */
export function targetFieldOf(path: string): string {
  return TARGET_FIELD_OF[path] ?? (Object.values(TARGET_FIELD_OF).includes(path) ? path : '(target)');
}

/** A target's fields in the order the README lists them: a target's problems are reported in this order. */
export const TARGET_FIELD_ORDER = ['(target)', 'name', 'host', 'ssh.user', 'ssh.port', 'service', 'method', 'interval_sec', 'recover_on_down', 'recover_action', 'use_sudo'];

const TARGET_FIELDS = new Set(['name', 'host', 'ssh', 'service', 'method', 'interval_sec', 'recover_on_down', 'recover_action', 'use_sudo']);
const SSH_FIELDS = new Set(['user', 'port']);

/** Fields the old monitor never read: imported without them, and reported so a typo (`intervall_sec`) is seen. */
export function unknownFieldsOf(target: object): string[] {
  const unknown = Object.keys(target).filter((key) => !TARGET_FIELDS.has(key));
  const ssh = (target as LegacyTarget).ssh;
  if (typeof ssh === 'object' && ssh !== null && !Array.isArray(ssh)) {
    unknown.push(...Object.keys(ssh).filter((key) => !SSH_FIELDS.has(key)).map((key) => `ssh.${key}`));
  }
  // A key is the file's text, not ours: keep a hostile one from filling the report.
  return unknown.map((key) => cut(key, 64));
}

/** The text of a config.json file. Editors on Windows save UTF-8 with a byte order mark, which JSON.parse refuses. */
export function parseLegacyConfig(text: string): unknown {
  return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
}

/** Texts derived from a target's fields are cut to their stored limits: a long name is reported once, as `name`. */
const cut = (text: string, max: number) => (text.length <= max ? text : text.slice(0, max));

const MAX_ID = 128;
const idSafe = (value: string) => value.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');

/** Keeps derived ids within the id pattern's length while staying unique. */
function boundedId(id: string): string {
  if (id.length <= MAX_ID) return id;
  const digest = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${id.slice(0, MAX_ID - 13)}_${digest}`;
}

/** One host per address and SSH port: `host_10_1_11_81`, or `host_10_1_11_81_2222` off port 22. */
export function hostIdFor(address: string, port: number): string {
  return boundedId(`host_${idSafe(address)}${port === 22 ? '' : `_${port}`}`);
}

export function serviceIdFor(hostId: string, unit: string): string {
  return boundedId(`svc_${hostId.replace(/^host_/, '')}_${idSafe(unit)}`);
}

// Raw values pass through untyped on purpose: the models' validators judge them and name the field.
const str = (v: unknown) => v as string;
const sshOf = (t: LegacyTarget) => (typeof t.ssh === 'object' && t.ssh !== null ? (t.ssh as { user?: unknown; port?: unknown }) : {});

export function sshPortOf(target: LegacyTarget): number {
  const port = sshOf(target).port;
  return port === undefined || port === null ? 22 : (port as number);
}

export function hostInputFrom(target: LegacyTarget, environment: EnvironmentName, region: string): SshHostInput {
  // Canonical before it names the host: `FD00::15` and `fd00::15` are one machine, so one host id.
  const address = canonicalAddress(str(target.host));
  return {
    host_id: hostIdFor(String(address), sshPortOf(target)),
    hostname: str(target.name),
    ip_address: address,
    environment,
    region,
    ssh_config: { user: str(sshOf(target).user), port: sshPortOf(target), use_sudo: (target.use_sudo ?? false) as boolean },
    metadata: { purpose: cut(`${String(target.service)} server`, 256), tags: [] },
  };
}

export function serviceInputFrom(target: LegacyTarget, hostId: string): ServiceInput {
  const unit = str(target.service);
  return {
    service_id: serviceIdFor(hostId, String(unit)),
    host_id: hostId,
    service_name: unit,
    service_type: serviceTypeOf(String(unit)),
    display_name: cut(`${String(unit)} on ${String(target.name)}`, 256),
    description: cut(`Monitoring for ${String(unit)}`, 2048),
    monitoring: {
      method: (target.method ?? 'ssh') as CheckMethod,
      interval_sec: (target.interval_sec ?? 60) as number,
      // The old monitor had no per-target timeout; keep the seed's 30 s but never beyond the interval.
      timeout_sec: Math.min(30, typeof target.interval_sec === 'number' && target.interval_sec > 0 ? target.interval_sec : 30),
    },
    recovery: {
      recover_on_down: (target.recover_on_down ?? false) as boolean,
      recover_action: (target.recover_action ?? 'restart') as RecoverAction,
    },
    tags: [serviceTypeOf(String(unit))].filter((t) => /^[A-Za-z0-9]/.test(t)),
  };
}
