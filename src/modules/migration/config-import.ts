import mongoose from 'mongoose';
import { ENVIRONMENTS, type EnvironmentName } from '../../common/enums.js';
import { DomainError, InvalidInputError, type FieldProblem } from '../../common/errors.js';
import { problemMessage } from '../../db/mongo-errors.js';
import { patterns, showValue } from '../../common/validation.js';
import { HostModel, type Host } from '../hosts/host.model.js';
import type { HostInput } from '../hosts/host.input.js';
import type { HostService } from '../hosts/host.service.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import type { ServiceInput } from '../services/service.input.js';
import type { ServiceService } from '../services/service.service.js';
import { TARGET_FIELD_OF, hostInputFrom, serviceInputFrom, type LegacyTarget } from './legacy-config.js';

export interface ImportOptions {
  environment: EnvironmentName;
  region: string;
  dryRun?: boolean;
}

export interface RejectedTarget {
  /** Position in `targets[]`, from 0. */
  index: number;
  name: string | null;
  field: string;
  message: string;
}

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportSummary {
  dryRun: boolean;
  targets: number;
  hosts: ImportCounts & { ids: string[] };
  services: ImportCounts & { ids: string[] };
  rejected: RejectedTarget[];
}

interface AcceptedTarget {
  index: number;
  target: LegacyTarget;
  host: HostInput;
  service: ServiceInput;
}

/** The fields a config import owns; anything else an operator set through the API is left alone. */
const HOST_FIELDS = ['hostname', 'environment', 'region', 'ssh_config.user', 'ssh_config.port', 'ssh_config.use_sudo'] as const;
const SERVICE_FIELDS = ['service_type', 'monitoring.method', 'monitoring.interval_sec', 'recovery.recover_on_down', 'recovery.recover_action'] as const;

/**
 * Imports the old monitor's config.json. Idempotent: ids derive from address,
 * port and unit, so a second run finds everything and changes nothing. Bad
 * targets are reported one by one while the good ones still import.
 */
export class ConfigImporter {
  constructor(
    private readonly hosts: HostService,
    private readonly services: ServiceService,
  ) {}

  async import(config: unknown, options: ImportOptions): Promise<ImportSummary> {
    checkOptions(options);
    const targets = targetsOf(config);
    const rejected: RejectedTarget[] = [];
    const accepted = await this.acceptTargets(targets, options, rejected);
    const summary: ImportSummary = {
      dryRun: options.dryRun ?? false,
      targets: targets.length,
      hosts: { created: 0, updated: 0, unchanged: 0, ids: [] },
      services: { created: 0, updated: 0, unchanged: 0, ids: [] },
      rejected,
    };
    for (const group of groupByHost(accepted).values()) {
      const hostId = await this.importHost(group, summary).catch((error) => rejectAll(group, error, rejected));
      if (hostId === null) continue;
      for (const item of group) {
        await this.importService({ ...item.service, host_id: hostId }, summary).catch((error) => rejectAll([item], error, rejected));
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return summary;
  }

  /** Validates each target against the models' own rules, and each against the targets before it. */
  private async acceptTargets(targets: unknown[], options: ImportOptions, rejected: RejectedTarget[]): Promise<AcceptedTarget[]> {
    const accepted: AcceptedTarget[] = [];
    for (const [index, raw] of targets.entries()) {
      const target = (typeof raw === 'object' && raw !== null ? raw : {}) as LegacyTarget;
      const reject = (field: string, message: string) =>
        rejected.push({ index, name: typeof target.name === 'string' ? target.name : null, field, message });
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        reject('(target)', 'must be an object');
        continue;
      }
      const host = hostInputFrom(target, options.environment, options.region);
      const service = serviceInputFrom(target, host.host_id);
      const problems = [
        ...(await modelProblems(new HostModel(host))),
        ...(await modelProblems(new ServiceModel({ ...service, environment: options.environment, region: options.region }))),
      ];
      const clash = problems.length === 0 ? clashWithEarlier(accepted, host, service) : null;
      if (clash) problems.push(clash);
      if (problems.length > 0) problems.forEach((p) => reject(p.field, p.message));
      else accepted.push({ index, target, host, service });
    }
    return accepted;
  }

  /** Creates or updates the host of a group of targets; returns its host_id (an existing host at that address keeps its id). */
  private async importHost(group: AcceptedTarget[], summary: ImportSummary): Promise<string> {
    const wanted = group[0]!.host;
    const existing = await HostModel.findOne({
      $or: [{ host_id: wanted.host_id }, { ip_address: wanted.ip_address, 'ssh_config.port': wanted.ssh_config.port }],
    }).lean<Host>();
    const hostId = existing?.host_id ?? wanted.host_id;
    if (!existing) {
      if (!summary.dryRun) await this.hosts.create(wanted);
      summary.hosts.created++;
    } else if (differs(existing, wanted, HOST_FIELDS)) {
      if (!summary.dryRun) await this.hosts.update(hostId, pick(wanted, HOST_FIELDS));
      summary.hosts.updated++;
    } else {
      summary.hosts.unchanged++;
    }
    summary.hosts.ids.push(hostId);
    return hostId;
  }

  private async importService(wanted: ServiceInput, summary: ImportSummary): Promise<void> {
    const existing = await ServiceModel.findOne({
      $or: [{ service_id: wanted.service_id }, { host_id: wanted.host_id, service_name: wanted.service_name }],
    }).lean<Service>();
    if (!existing) {
      if (!summary.dryRun) await this.services.create(wanted);
      summary.services.created++;
    } else if (differs(existing, wanted, SERVICE_FIELDS)) {
      if (!summary.dryRun) await this.services.update(existing.service_id, pick(wanted, SERVICE_FIELDS));
      summary.services.updated++;
    } else {
      summary.services.unchanged++;
    }
    summary.services.ids.push(existing?.service_id ?? wanted.service_id);
  }
}

function checkOptions(options: ImportOptions): void {
  const problems: FieldProblem[] = [];
  if (!ENVIRONMENTS.includes(options.environment)) problems.push({ field: 'environment', message: `must be one of ${ENVIRONMENTS.join(', ')}, got ${showValue(options.environment)}` });
  if (!patterns.label.test(options.region)) problems.push({ field: 'region', message: `must be a region label such as us-east-1, got ${showValue(options.region)}` });
  if (problems.length > 0) throw new InvalidInputError(problems);
}

function targetsOf(config: unknown): unknown[] {
  const targets = (config as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(targets)) throw InvalidInputError.single('targets', 'config must be an object with a targets array');
  return targets;
}

async function modelProblems(doc: mongoose.Document): Promise<FieldProblem[]> {
  const error = await doc.validate().then(
    () => null,
    (e: unknown) => e,
  );
  if (!error) return [];
  if (!(error instanceof mongoose.Error.ValidationError)) throw error;
  // Several stored fields come from one field of the target (service_name, service_type and the tag from
  // `service`): the first problem of each target field is its message.
  const problems = new Map<string, FieldProblem>();
  for (const [path, inner] of Object.entries(error.errors)) {
    const field = TARGET_FIELD_OF[path] ?? path;
    if (!problems.has(field)) problems.set(field, { field, message: problemMessage(inner) });
  }
  return [...problems.values()];
}

/** Two targets on one address and port are one host: they must agree on how to log in. */
function clashWithEarlier(accepted: AcceptedTarget[], host: HostInput, service: ServiceInput): FieldProblem | null {
  for (const earlier of accepted) {
    if (earlier.host.host_id !== host.host_id) continue;
    const at = `target ${earlier.index} on the same host ${host.ip_address}:${host.ssh_config.port}`;
    if (earlier.host.ssh_config.user !== host.ssh_config.user) return { field: 'ssh.user', message: `differs from ${at} ('${earlier.host.ssh_config.user}')` };
    if (earlier.host.ssh_config.use_sudo !== host.ssh_config.use_sudo) return { field: 'use_sudo', message: `differs from ${at}` };
    if (earlier.service.service_name === service.service_name) return { field: 'service', message: `duplicates ${at}` };
  }
  return null;
}

function groupByHost(accepted: AcceptedTarget[]): Map<string, AcceptedTarget[]> {
  const groups = new Map<string, AcceptedTarget[]>();
  for (const item of accepted) groups.set(item.host.host_id, [...(groups.get(item.host.host_id) ?? []), item]);
  return groups;
}

function rejectAll(items: AcceptedTarget[], error: unknown, rejected: RejectedTarget[]): null {
  if (!(error instanceof DomainError)) throw error;
  const problems = error instanceof InvalidInputError ? error.problems : [{ field: '(target)', message: error.message }];
  for (const item of items) {
    for (const p of problems) {
      rejected.push({ index: item.index, name: String(item.target.name), field: TARGET_FIELD_OF[p.field] ?? p.field, message: p.message });
    }
  }
  return null;
}

const valueAt = (doc: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], doc);

function differs(existing: unknown, wanted: unknown, paths: readonly string[]): boolean {
  return paths.some((path) => valueAt(existing, path) !== valueAt(wanted, path));
}

/** The owned fields of `wanted` as a nested patch. */
function pick(wanted: object, paths: readonly string[]): Record<string, any> {
  const patch: Record<string, any> = {};
  for (const path of paths) {
    const keys = path.split('.');
    let node = patch;
    for (const key of keys.slice(0, -1)) node = node[key] ??= {};
    node[keys.at(-1)!] = valueAt(wanted, path);
  }
  return patch;
}

