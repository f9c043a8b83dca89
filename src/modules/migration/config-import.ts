import mongoose from 'mongoose';
import { ENVIRONMENTS, type EnvironmentName } from '../../common/enums.js';
import { DomainError, InvalidInputError, type FieldProblem } from '../../common/errors.js';
import { INSERT_BATCH } from '../../db/bulk-insert.js';
import { problemMessage } from '../../db/mongo-errors.js';
import { patterns, showValue } from '../../common/validation.js';
import { HostModel, type Host } from '../hosts/host.model.js';
import type { SshHostInput } from '../hosts/host.input.js';
import type { HostService } from '../hosts/host.service.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import type { ServiceInput } from '../services/service.input.js';
import type { ServiceService } from '../services/service.service.js';
import { TARGET_FIELD_ORDER, hostInputFrom, serviceInputFrom, targetFieldOf, unknownFieldsOf, type LegacyTarget } from './legacy-config.js';

export interface ImportOptions {
  /** config.json does not say which environment its targets are in, so there is no default: missing is an error. */
  environment?: EnvironmentName | null;
  region: string;
  dryRun?: boolean;
  /** Told how far the import is, every few hundred targets and after each batch written. */
  onProgress?: ProgressListener;
}

export interface ImportProgress {
  phase: 'validating' | 'hosts' | 'services';
  done: number;
  total: number;
}

export type ProgressListener = (progress: ImportProgress) => void;

/** Targets validated between two turns of the event loop. */
const YIELD_EVERY = 100;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Targets validated between two progress reports. */
const PROGRESS_EVERY = 500;

/** One target and everything to say about it: every problem, each named by its config.json field. */
export interface TargetReport {
  /** Position in `targets[]`, from 0. */
  index: number;
  name: string | null;
  problems: FieldProblem[];
}

export type RejectedTarget = TargetReport;

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
  /** Targets imported (or rejected) with something the import ignored, such as fields the old monitor never read. */
  warnings: TargetReport[];
}

interface AcceptedTarget {
  index: number;
  target: LegacyTarget;
  host: SshHostInput;
  service: ServiceInput;
}

/** The fields a config import owns; anything else an operator set through the API is left alone. */
const HOST_FIELDS = ['hostname', 'environment', 'region', 'ssh_config.user', 'ssh_config.port', 'ssh_config.use_sudo'] as const;
const SERVICE_FIELDS = ['service_type', 'monitoring.method', 'monitoring.interval_sec', 'recovery.recover_on_down', 'recovery.recover_action'] as const;

/**
 * Imports the old monitor's config.json. Idempotent: ids derive from address,
 * port and unit, so a second run finds everything and changes nothing. Each bad
 * target is reported once, with all its problems, while the good ones still import.
 */
export class ConfigImporter {
  constructor(
    private readonly hosts: HostService,
    private readonly services: ServiceService,
  ) {}

  /** The options alone, judged as `import` judges them (a job checks them before its file arrives). */
  checkOptions(options: Pick<ImportOptions, 'environment' | 'region'>): void {
    checkInput({ targets: [] }, options);
  }

  async import(config: unknown, options: ImportOptions): Promise<ImportSummary> {
    const { environment, targets } = checkInput(config, options);
    const summary: ImportSummary = {
      dryRun: options.dryRun ?? false,
      targets: targets.length,
      hosts: { created: 0, updated: 0, unchanged: 0, ids: [] },
      services: { created: 0, updated: 0, unchanged: 0, ids: [] },
      rejected: [],
      warnings: [],
    };
    const progress = options.onProgress ?? (() => {});
    const candidates = deriveTargets(targets, { ...options, environment }, summary);
    const stored = await storedCounterparts(candidates);
    const accepted = await this.acceptTargets(candidates, stored, { ...options, environment }, summary, progress);
    const groups = [...groupByHost(accepted).values()];
    const hostIds = await this.importHosts(groups, stored.hosts, summary, progress);
    const services = groups.flatMap((group, g) => (hostIds[g] === null ? [] : group.map((item) => ({ item, wanted: { ...item.service, host_id: hostIds[g]! } }))));
    await this.importServices(services, stored.services, summary, progress);
    summary.rejected.sort((a, b) => a.index - b.index);
    return summary;
  }

  /**
   * Validates each target against the models' own rules, and each against the targets before it. A target whose
   * host and service are stored as it says (a rerun) writes nothing and is not validated again: that was most of a
   * rerun's time (two mongoose documents a target). The models' checks of one host are made once for all its targets.
   */
  private async acceptTargets(
    candidates: AcceptedTarget[],
    stored: StoredCounterparts,
    options: ImportOptions & { environment: EnvironmentName },
    summary: ImportSummary,
    progress: ProgressListener,
  ): Promise<AcceptedTarget[]> {
    const accepted: AcceptedTarget[] = [];
    const earlierOnHost = new Map<string, AcceptedTarget[]>();
    const hostProblems = new Map<string, FieldProblem[]>();
    for (const [position, candidate] of candidates.entries()) {
      if (position % PROGRESS_EVERY === 0) progress({ phase: 'validating', done: position, total: candidates.length });
      // Validation resolves without I/O: left alone, 10,000 targets held the event loop for seconds, and an API
      // process running an import job stopped answering (a poll of the job was reset in CI).
      if (position % YIELD_EVERY === 0) await yieldToEventLoop();
      const { host, service } = candidate;
      const problems = stored.unchanged(candidate)
        ? []
        : mergeByField([
            ...(await memoized(hostProblems, JSON.stringify(host), () => modelProblems(new HostModel(host)))),
            ...(await modelProblems(new ServiceModel({ ...service, environment: options.environment, region: options.region }))),
          ]);
      const clash = problems.length === 0 ? clashWithEarlier(earlierOnHost.get(host.host_id) ?? [], host, service) : null;
      if (clash) problems.push(clash);
      if (problems.length > 0) {
        summary.rejected.push({ index: candidate.index, name: nameOf(candidate.target), problems });
        continue;
      }
      accepted.push(candidate);
      earlierOnHost.set(host.host_id, [...(earlierOnHost.get(host.host_id) ?? []), candidate]);
    }
    progress({ phase: 'validating', done: candidates.length, total: candidates.length });
    return accepted;
  }

  /**
   * Creates or updates the host of each group of targets, reading what exists in a few queries and creating the new
   * ones in batches; each group's host_id (an existing host at that address keeps its id), or null when refused.
   */
  private async importHosts(groups: AcceptedTarget[][], existing: StoredHosts, summary: ImportSummary, progress: ProgressListener): Promise<(string | null)[]> {
    const wanted = groups.map((group) => group[0]!.host);
    const hostIds: (string | null)[] = [];
    const toCreate: number[] = [];
    for (const [g, host] of wanted.entries()) {
      const found = existing.of(host);
      hostIds.push(found?.host_id ?? host.host_id);
      if (!found) {
        toCreate.push(g);
        summary.hosts.created++;
      } else if (differs(found, host, HOST_FIELDS)) {
        const updated = summary.dryRun || (await this.hosts.update(found.host_id, pick(host, HOST_FIELDS)).then(() => true, (error) => (hostIds[g] = rejectAll(groups[g]!, error, summary.rejected)) ?? false));
        if (updated) summary.hosts.updated++;
      } else {
        summary.hosts.unchanged++;
      }
    }
    if (!summary.dryRun) {
      let done = 0;
      await inBatchesConcurrently(toCreate, 1, async (batch) => {
        const outcomes = await this.hosts.createMany(batch.map((g) => wanted[g]!));
        for (const [i, outcome] of outcomes.entries()) {
          if (outcome instanceof DomainError) {
            hostIds[batch[i]!] = rejectAll(groups[batch[i]!]!, outcome, summary.rejected);
            summary.hosts.created--;
          }
        }
        done += batch.length;
        progress({ phase: 'hosts', done, total: toCreate.length });
      });
    }
    for (const id of hostIds) if (id !== null) summary.hosts.ids.push(id);
    return hostIds;
  }

  /** Creates or updates each target's service, reading what exists in a few queries and creating the new ones in batches. */
  private async importServices(services: { item: AcceptedTarget; wanted: ServiceInput }[], existing: StoredServices, summary: ImportSummary, progress: ProgressListener): Promise<void> {
    const toCreate: number[] = [];
    const ids: (string | null)[] = [];
    for (const [i, { item, wanted }] of services.entries()) {
      const found = existing.of(wanted);
      ids.push(found?.service_id ?? wanted.service_id);
      if (!found) {
        toCreate.push(i);
        summary.services.created++;
      } else if (differs(found, wanted, SERVICE_FIELDS)) {
        const updated = summary.dryRun || (await this.services.update(found.service_id, pick(wanted, SERVICE_FIELDS)).then(() => true, (error) => (ids[i] = rejectAll([item], error, summary.rejected)) ?? false));
        if (updated) summary.services.updated++;
      } else {
        summary.services.unchanged++;
      }
    }
    if (!summary.dryRun) {
      let done = 0;
      // Two batches at once: one is prepared here (CPU) while the database writes the other.
      await inBatchesConcurrently(toCreate, WRITES_IN_FLIGHT, async (batch) => {
        const outcomes = await this.services.createMany(batch.map((i) => services[i]!.wanted), new Date(), { validated: true });
        for (const [j, outcome] of outcomes.entries()) {
          if (outcome instanceof DomainError) {
            ids[batch[j]!] = rejectAll([services[batch[j]!]!.item], outcome, summary.rejected);
            summary.services.created--;
          }
        }
        done += batch.length;
        progress({ phase: 'services', done, total: toCreate.length });
      });
    }
    for (const id of ids) if (id !== null) summary.services.ids.push(id);
  }
}

interface StoredHosts {
  of(host: SshHostInput): Host | undefined;
}

interface StoredServices {
  of(service: ServiceInput): Service | undefined;
}

interface StoredCounterparts {
  hosts: StoredHosts;
  services: StoredServices;
  /** The target's host and service are stored as it says (in the fields an import owns). */
  unchanged(candidate: AcceptedTarget): boolean;
}

/** What is stored for the targets, read in a few queries per thousand. */
async function storedCounterparts(candidates: readonly AcceptedTarget[]): Promise<StoredCounterparts> {
  const hosts = await existingHosts([...new Map(candidates.map((c) => [c.host.host_id, c.host])).values()]);
  const hostOf = (host: SshHostInput) => hosts.byId.get(host.host_id) ?? hosts.byEndpoint.get(endpointKey(host.ip_address, host.ssh_config.port ?? 22));
  const withStoredHost = (c: AcceptedTarget): ServiceInput => ({ ...c.service, host_id: hostOf(c.host)?.host_id ?? c.host.host_id });
  const services = await existingServices(candidates.map(withStoredHost));
  const serviceOf = (service: ServiceInput) => services.byId.get(service.service_id) ?? services.byHostAndName.get(`${service.host_id}\u0000${service.service_name}`);
  return {
    hosts: { of: hostOf },
    services: { of: serviceOf },
    unchanged(candidate) {
      const host = hostOf(candidate.host);
      const service = host && serviceOf(withStoredHost(candidate));
      return !!service && !differs(host, candidate.host, HOST_FIELDS) && !differs(service, candidate.service, SERVICE_FIELDS);
    },
  };
}

async function memoized<T>(cache: Map<string, T>, key: string, compute: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) cache.set(key, await compute());
  return cache.get(key)!;
}

/** What an import compares of a stored host or service (reading whole documents was most of a rerun's reads). */
const HOST_PROJECTION = Object.fromEntries(['host_id', 'ip_address', ...HOST_FIELDS].map((path) => [path, 1]));
const SERVICE_PROJECTION = Object.fromEntries(['service_id', 'host_id', 'service_name', ...SERVICE_FIELDS].map((path) => [path, 1]));

/** Stored hosts any of the wanted ones may be: by id, else by address and SSH port (each query on its own index). */
async function existingHosts(wanted: readonly SshHostInput[]): Promise<{ byId: Map<string, Host>; byEndpoint: Map<string, Host> }> {
  const byId = new Map<string, Host>();
  const byEndpoint = new Map<string, Host>();
  const remember = (host: Host) => {
    byId.set(host.host_id, host);
    if (host.ssh_config?.port !== undefined) byEndpoint.set(endpointKey(host.ip_address, host.ssh_config.port), host);
  };
  for (const batch of inBatches(wanted)) {
    (await HostModel.find({ host_id: { $in: batch.map((h) => h.host_id) } }, HOST_PROJECTION).lean<Host[]>()).forEach(remember);
    const unseen = batch.filter((h) => !byId.has(h.host_id));
    if (unseen.length > 0) (await HostModel.find({ ip_address: { $in: [...new Set(unseen.map((h) => h.ip_address))] } }, HOST_PROJECTION).lean<Host[]>()).forEach(remember);
  }
  return { byId, byEndpoint };
}

/** Stored services any of the wanted ones may be: by id, else by host and unit name (each query on its own index). */
async function existingServices(wanted: readonly ServiceInput[]): Promise<{ byId: Map<string, Service>; byHostAndName: Map<string, Service> }> {
  const byId = new Map<string, Service>();
  const byHostAndName = new Map<string, Service>();
  const remember = (service: Service) => {
    byId.set(service.service_id, service);
    byHostAndName.set(`${service.host_id}\u0000${service.service_name}`, service);
  };
  for (const batch of inBatches(wanted)) {
    (await ServiceModel.find({ service_id: { $in: batch.map((s) => s.service_id) } }, SERVICE_PROJECTION).lean<Service[]>()).forEach(remember);
    const unseen = batch.filter((s) => !byId.has(s.service_id));
    if (unseen.length > 0) (await ServiceModel.find({ host_id: { $in: [...new Set(unseen.map((s) => s.host_id))] } }, SERVICE_PROJECTION).lean<Service[]>()).forEach(remember);
  }
  return { byId, byHostAndName };
}

/** Batches written at once by an import. */
const WRITES_IN_FLIGHT = 2;

/** `work` on each batch of `items`, at most `concurrency` at a time. */
async function inBatchesConcurrently<T>(items: readonly T[], concurrency: number, work: (batch: readonly T[]) => Promise<void>): Promise<void> {
  const batches = [...inBatches(items)];
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) await work(batch);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function* inBatches<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let start = 0; start < items.length; start += INSERT_BATCH) yield items.slice(start, start + INSERT_BATCH);
}

const endpointKey = (address: string, port: number) => `${address}|${port}`;

/** Each target as the host and service it would make; what is not an object is rejected, unknown fields are warned of. */
function deriveTargets(targets: unknown[], options: ImportOptions & { environment: EnvironmentName }, summary: ImportSummary): AcceptedTarget[] {
  const candidates: AcceptedTarget[] = [];
  for (const [index, raw] of targets.entries()) {
    const target = (typeof raw === 'object' && raw !== null ? raw : {}) as LegacyTarget;
    const report = (problems: FieldProblem[]): TargetReport => ({ index, name: nameOf(target), problems });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      summary.rejected.push(report([{ field: '(target)', message: 'must be an object' }]));
      continue;
    }
    const unknown = unknownFieldsOf(target);
    if (unknown.length > 0) summary.warnings.push(report(unknown.map((field) => ({ field, message: 'not a config.json field; ignored' }))));
    const host = hostInputFrom(target, options.environment, options.region);
    candidates.push({ index, target, host, service: serviceInputFrom(target, host.host_id) });
  }
  return candidates;
}

/** The environment every target goes to and the targets, once the whole input is known to be usable: every problem at once. */
function checkInput(config: unknown, options: ImportOptions): { environment: EnvironmentName; targets: unknown[] } {
  const problems: FieldProblem[] = [];
  const { environment } = options;
  const targets = (config as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(targets)) problems.push({ field: 'targets', message: 'config must be an object with a targets array' });
  if (environment === undefined || environment === null) problems.push({ field: 'environment', message: ENVIRONMENT_REQUIRED });
  else if (!ENVIRONMENTS.includes(environment)) problems.push({ field: 'environment', message: `must be one of ${ENVIRONMENTS.join(', ')}, got ${showValue(environment)}` });
  if (!patterns.label.test(options.region)) problems.push({ field: 'region', message: `must be a region label such as us-east-1, got ${showValue(options.region)}` });
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { environment: environment!, targets: targets as unknown[] };
}

/** Production was once assumed; a staging file imported as production pages the on-call, so it must be said. */
export const ENVIRONMENT_REQUIRED = `is required: config.json does not say which environment its targets are in (one of ${ENVIRONMENTS.join(', ')})`;

const nameOf = (target: LegacyTarget): string | null => (typeof target.name === 'string' ? target.name : null);

async function modelProblems(doc: mongoose.Document): Promise<FieldProblem[]> {
  const error = await doc.validate().then(
    () => null,
    (e: unknown) => e,
  );
  if (!error) return [];
  if (!(error instanceof mongoose.Error.ValidationError)) throw error;
  return Object.entries(error.errors).map(([path, inner]) => ({ field: targetFieldOf(path), message: problemMessage(inner) }));
}

/**
 * Several stored fields come from one field of the target (service_name, service_type and the tag from
 * `service`; hostname and purpose in both models): the first problem of each target field is its message.
 */
function mergeByField(problems: FieldProblem[]): FieldProblem[] {
  const first = new Map<string, FieldProblem>();
  for (const problem of problems) if (!first.has(problem.field)) first.set(problem.field, problem);
  const rank = (p: FieldProblem) => TARGET_FIELD_ORDER.indexOf(p.field);
  return [...first.values()].sort((a, b) => rank(a) - rank(b));
}

/** Two targets on one address and port are one host: they must agree on how to log in. */
function clashWithEarlier(earlierOnHost: AcceptedTarget[], host: SshHostInput, service: ServiceInput): FieldProblem | null {
  for (const earlier of earlierOnHost) {
    const at = `target ${earlier.index} on the same host ${host.ip_address}:${host.ssh_config.port}`;
    if (earlier.host.ssh_config.user !== host.ssh_config.user) return { field: 'ssh.user', message: `differs from ${at} ('${earlier.host.ssh_config.user}')` };
    if (earlier.host.ssh_config.use_sudo !== host.ssh_config.use_sudo) return { field: 'use_sudo', message: `differs from ${at}` };
    if (earlier.service.service_name === service.service_name) return { field: 'service', message: `duplicates ${at}` };
  }
  return null;
}

function groupByHost(accepted: AcceptedTarget[]): Map<string, AcceptedTarget[]> {
  const groups = new Map<string, AcceptedTarget[]>();
  for (const item of accepted) {
    const group = groups.get(item.host.host_id);
    if (group) group.push(item);
    else groups.set(item.host.host_id, [item]);
  }
  return groups;
}

/** A write refused after validation passed (a duplicate, a host gone meanwhile): each target of the write is rejected once. */
function rejectAll(items: AcceptedTarget[], error: unknown, rejected: RejectedTarget[]): null {
  if (!(error instanceof DomainError)) throw error;
  const raw = error instanceof InvalidInputError ? error.problems : [{ field: '(target)', message: error.message }];
  const problems = mergeByField(raw.map((p) => ({ field: targetFieldOf(p.field), message: p.message })));
  for (const item of items) rejected.push({ index: item.index, name: nameOf(item.target), problems });
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

