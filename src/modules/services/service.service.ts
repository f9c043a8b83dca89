import type { DocumentType } from '@typegoose/typegoose';
import { CHECK_METHODS, SERVICE_STATUSES, SSH_CHECK_METHODS, type EnvironmentName, type ServiceStatus, type Severity } from '../../common/enums.js';
import { DomainError, InvalidInputError, NotFoundError, type FieldProblem } from '../../common/errors.js';
import { keepStoredSecrets, MaskWithoutSecretError, withoutCredentials } from '../../common/secrets.js';
import { toSetPaths } from '../../common/patch.js';
import type { Page, PageRequest } from '../../common/pagination.js';
import { containsText, pageByUniqueKey } from '../../db/keyset.js';
import { INSERT_BATCH, insertEach } from '../../db/bulk-insert.js';
import { translateWriteError, writeErrorOf } from '../../db/mongo-errors.js';
import { EventBus, type InventoryChangeKind } from '../../events/event-bus.js';
import { HostModel, type Host } from '../hosts/host.model.js';
import { defaultServiceType, usesSsh } from './service-naming.js';
import { ServiceModel, type Service } from './service.model.js';
import { CREDENTIAL_FIELDS, creatableServiceFields, writableServiceFields, type CredentialField, type ServiceInput, type ServicePatch } from './service.input.js';
import { staleAt } from './staleness.js';
import { readService } from './service-read.js';

export interface ServiceFilter {
  service_id?: string;
  host_id?: string;
  service_type?: string;
  environment?: EnvironmentName;
  region?: string;
  /** The service's alert severity. */
  severity?: Severity;
  status?: ServiceStatus;
  enabled?: boolean;
  tag?: string;
  consecutive_failures_at_least?: number;
  /** Not checked since this instant, or never checked (stale). */
  last_check_before?: Date;
  /** Case-insensitive text in service_id, service_name or display_name. */
  search?: string;
}

export interface ServiceSettings {
  readonly staleAfterIntervals: number;
  /** DEFAULT_CHECK_INTERVAL: seconds between checks of a service created without an interval; unset: the model's 60. */
  readonly defaultCheckInterval?: number;
  /** MAX_RECOVERY_ATTEMPTS: recovery attempts of a service created without a limit; unset: the model's 3. */
  readonly maxRecoveryAttempts?: number;
}

/** A service that uses SSH (its check, or recovery) needs a host the monitor can log in to. */
function ensureReachable(service: Pick<Service, 'monitoring' | 'recovery' | 'host_id'>, host: Pick<Host, 'ssh_config'> | null): void {
  if (!host || host.ssh_config) return;
  const why = `host '${service.host_id}' has no sshConfig (it is watched without SSH)`;
  const problems: FieldProblem[] = [];
  if (SSH_CHECK_METHODS.includes(service.monitoring.method)) {
    const withoutSsh = CHECK_METHODS.filter((method) => !SSH_CHECK_METHODS.includes(method)).join(', ');
    problems.push({ field: 'monitoring.method', message: `${service.monitoring.method} checks run over SSH, and ${why}: use ${withoutSsh}, or give the host an sshConfig` });
  }
  if (service.recovery?.recover_on_down) problems.push({ field: 'recovery.recover_on_down', message: `recovery runs over SSH, and ${why}` });
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/** What a service copies from its host, and what decides whether it may use SSH there. */
const HOST_FIELDS_COPIED = { environment: 1, region: 1, ssh_config: 1 } as const;
type CopiedHost = Pick<Host, 'environment' | 'region' | 'ssh_config'>;

const duplicateService = (key: Record<string, unknown>) => `service '${String(key.service_id)}' already exists`;

type ServiceDocument = DocumentType<Service>;

/** Inventory of services; every change is announced (`service.changed`) once written. */
export class ServiceService {
  constructor(
    private readonly settings: ServiceSettings,
    private readonly events: EventBus = new EventBus(),
  ) {}

  /** Adds a service to an existing host, copying the host's environment and region. */
  async create(input: ServiceInput, now = new Date()): Promise<Service> {
    const host = await HostModel.findOne({ host_id: input.host_id }, HOST_FIELDS_COPIED).lean<CopiedHost>();
    const { service, fields } = this.prepare(input, host, now);
    await this.checkDependencies(service);
    try {
      await service.save();
    } catch (error) {
      translateWriteError(error, duplicateService, Object.keys(fields));
    }
    await this.followHost(service);
    this.announce(service, 'created');
    return this.read(service.toObject());
  }

  /**
   * Many new services in a few round trips (an import): each prepared and validated as `create` does, inserted
   * unordered in batches, then each host read again (a service whose host was deleted meanwhile goes, as in
   * `create`). Dependencies are not taken here (an import has none). What each input came to, by its index.
   * `validated`: the caller validated each input against the model (as the config import does); not again.
   */
  async createMany(inputs: readonly ServiceInput[], now = new Date(), options: { validated?: boolean } = {}): Promise<(Service | DomainError)[]> {
    const outcomes: (Service | DomainError)[] = new Array(inputs.length);
    const hosts = await this.hostsById(inputs.map((input) => input.host_id));
    const prepared: { index: number; doc: Record<string, unknown> }[] = [];
    for (const [index, input] of inputs.entries()) {
      // Preparing a document takes no I/O: the event loop gets a turn now and then (an API process runs imports).
      if (index % 100 === 99) await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        if (input.dependencies?.length) throw InvalidInputError.single('dependencies', 'are not taken by a bulk create');
        const { service, fields } = this.prepare(input, hosts.get(input.host_id) ?? null, now);
        // An import validated each input against the model already (with its host's labels): once is enough.
        if (!options.validated) await service.validate().catch((error: unknown) => translateWriteError(error, duplicateService, Object.keys(fields)));
        prepared.push({ index, doc: { ...service.toObject(), created_at: now, updated_at: now } });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[index] = error;
      }
    }
    const refused = await insertEach(ServiceModel.collection, prepared.map((p) => p.doc));
    const inserted = prepared.filter((_, position) => !refused.has(position));
    for (const [position, refusal] of refused) outcomes[prepared[position]!.index] = writeErrorOf(refusal, duplicateService);
    const orphaned = await this.followHosts(inserted.map((p) => p.doc as unknown as Service));
    for (const { index, doc } of inserted) {
      const service = doc as unknown as Service;
      if (orphaned.has(service.service_id)) {
        outcomes[index] = InvalidInputError.single('host_id', `host '${service.host_id}' does not exist`);
        continue;
      }
      outcomes[index] = this.read(doc);
      this.announce(service, 'created');
    }
    return outcomes;
  }

  /** A new service as `create` would store it, not yet validated: the host's labels, defaults, its schedule. */
  private prepare(input: ServiceInput, host: CopiedHost | null, now: Date): { service: ServiceDocument; fields: Record<string, unknown> } {
    const { clear_credentials: _nothingStoredYet, ...given } = input as ServiceInput & Pick<ServicePatch, 'clear_credentials'>;
    const fields = withStoredCredentials(toSetPaths({ ...given }, creatableServiceFields, ServiceModel.schema), null, []);
    if (!host) throw InvalidInputError.single('host_id', `host '${input.host_id}' does not exist`);
    const service = new ServiceModel({ environment: host.environment, region: host.region });
    service.set(fields);
    if (fields.service_type === undefined || fields.service_type === null) service.service_type = defaultServiceType(service);
    ensureReachable(service, host);
    this.applyConfiguredDefaults(service, fields);
    service.stale_at = service.monitoring.enabled ? staleAt(now, service.monitoring.interval_sec, this.settings.staleAfterIntervals) : null;
    // First check soon after creation.
    service.next_check_at = service.monitoring.enabled ? now : null;
    return { service, fields };
  }

  private async hostsById(hostIds: readonly string[]): Promise<Map<string, CopiedHost>> {
    const unique = [...new Set(hostIds)];
    const hosts = new Map<string, CopiedHost>();
    for (let start = 0; start < unique.length; start += INSERT_BATCH) {
      const found = await HostModel.find({ host_id: { $in: unique.slice(start, start + INSERT_BATCH) } }, { host_id: 1, ...HOST_FIELDS_COPIED }).lean<(CopiedHost & { host_id: string })[]>();
      for (const host of found) hosts.set(host.host_id, host);
    }
    return hosts;
  }

  /** `followHost` for many new services: the ones whose host is gone are deleted (returned); labels follow a moved host. */
  private async followHosts(services: readonly Service[]): Promise<Set<string>> {
    const hosts = await this.hostsById(services.map((s) => s.host_id));
    const orphaned = new Set(services.filter((s) => !hosts.has(s.host_id)).map((s) => s.service_id));
    if (orphaned.size > 0) await ServiceModel.deleteMany({ service_id: { $in: [...orphaned] } });
    const moved = services.filter((s) => {
      const host = hosts.get(s.host_id);
      return host && (host.environment !== s.environment || host.region !== s.region);
    });
    for (const service of moved) {
      const host = hosts.get(service.host_id)!;
      await ServiceModel.updateOne({ service_id: service.service_id }, { $set: { environment: host.environment, region: host.region } });
      service.environment = host.environment;
      service.region = host.region;
    }
    return orphaned;
  }

  /**
   * The operator's defaults (the seed's DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS) for what the caller left
   * out. A timeout left out is kept within the interval (given or default) when that is shorter, as the legacy
   * import does: the caller did not choose it, so it may not make the service invalid.
   */
  private applyConfiguredDefaults(service: ServiceDocument, given: Record<string, unknown>): void {
    const { defaultCheckInterval, maxRecoveryAttempts } = this.settings;
    if (defaultCheckInterval !== undefined && given['monitoring.interval_sec'] === undefined) {
      service.set('monitoring.interval_sec', defaultCheckInterval);
      if (given['monitoring.timeout_sec'] === undefined) service.set('monitoring.timeout_sec', Math.min(service.monitoring.timeout_sec, defaultCheckInterval));
    }
    // An interval given without a timeout: the default timeout, kept within it ("every 10 s" must not be refused for a 30 s timeout nobody chose).
    if (given['monitoring.interval_sec'] !== undefined && given['monitoring.timeout_sec'] === undefined && service.monitoring.interval_sec > 0) {
      service.set('monitoring.timeout_sec', Math.min(service.monitoring.timeout_sec, service.monitoring.interval_sec));
    }
    if (maxRecoveryAttempts !== undefined && given['recovery.max_recovery_attempts'] === undefined) {
      service.set('recovery.max_recovery_attempts', maxRecoveryAttempts);
    }
  }

  /** A stored service as served: defaults and derived fields filled in, problems reported (see service-read.ts). */
  read = (raw: unknown, now = new Date()): Service => readService(raw, this.settings, now);

  async get(serviceId: string): Promise<Service | null> {
    const found = await ServiceModel.findOne({ service_id: serviceId }).lean<Service>();
    return found && this.read(found);
  }

  async require(serviceId: string): Promise<Service> {
    const service = await this.get(serviceId);
    if (!service) throw new NotFoundError('service', serviceId);
    return service;
  }

  /** Services by id, in one query (for batched loading). */
  async getMany(serviceIds: readonly string[]): Promise<Service[]> {
    return (await ServiceModel.find({ service_id: { $in: [...serviceIds] } }).lean<Service[]>()).map((s) => this.read(s));
  }

  /** Every service of each of these hosts, in one query, ordered by service_id. */
  async onHosts(hostIds: readonly string[]): Promise<Service[]> {
    return (await ServiceModel.find({ host_id: { $in: [...hostIds] } }).sort({ service_id: 1 }).lean<Service[]>()).map((s) => this.read(s));
  }

  async list(filter: ServiceFilter = {}): Promise<Service[]> {
    return (await ServiceModel.find(serviceQuery(filter)).sort({ service_id: 1 }).lean<Service[]>()).map((s) => this.read(s));
  }

  /** One page of services ordered by service_id. */
  async page(filter: ServiceFilter, request: PageRequest): Promise<Page<Service>> {
    const page = await pageByUniqueKey<Service>(ServiceModel, serviceQuery(filter), 'service_id', request);
    const now = new Date();
    return { ...page, items: page.items.map((item) => ({ ...item, node: this.read(item.node, now) })) };
  }

  byHost = (hostId: string) => this.list({ host_id: hostId });
  byType = (serviceType: string) => this.list({ service_type: serviceType });
  byEnvironment = (environment: EnvironmentName) => this.list({ environment });
  byStatus = (status: ServiceStatus) => this.list({ status });
  enabled = () => this.list({ enabled: true });

  /** Partial update; nested configuration merges field by field. */
  async update(serviceId: string, patch: ServicePatch, now = new Date()): Promise<Service> {
    const { clear_credentials: clear = [], ...given } = patch;
    const written = toSetPaths({ ...given }, writableServiceFields, ServiceModel.schema);
    const service = await this.load(serviceId);
    const fields = withStoredCredentials(written, service, clear);
    service.set(fields);
    // A readable name may stay only while the service does not use SSH: judged again when that changes.
    if (service.isModified('monitoring.method') || service.isModified('recovery.recover_on_down')) service.markModified('service_name');
    if (usesSsh(service)) ensureReachable(service, await HostModel.findOne({ host_id: service.host_id }, { host_id: 1, ssh_config: 1 }).lean());
    return this.saveChanged(service, now, Object.keys(fields));
  }

  async setMonitoringEnabled(serviceId: string, enabled: boolean, now = new Date()): Promise<Service> {
    const service = await this.load(serviceId);
    service.set('monitoring.enabled', enabled);
    return this.saveChanged(service, now);
  }

  /** Silences alerts until the given instant; null unmutes. */
  async muteAlerts(serviceId: string, until: Date | null): Promise<Service> {
    const service = await this.load(serviceId);
    service.set('alerting.mute_until', until);
    return this.saveChanged(service, new Date());
  }

  async delete(serviceId: string): Promise<void> {
    const service = await ServiceModel.findOneAndDelete({ service_id: serviceId }, { projection: { service_id: 1, host_id: 1 } }).lean();
    if (!service) throw new NotFoundError('service', serviceId);
    const dependents = await forgetDependencies([serviceId]);
    announceServiceChanges(this.events, [service], 'deleted');
    announceServiceChanges(this.events, dependents, 'updated');
  }

  private announce(service: Pick<Service, 'service_id' | 'host_id'>, kind: InventoryChangeKind): void {
    announceServiceChanges(this.events, [service], kind);
  }

  private async load(serviceId: string): Promise<ServiceDocument> {
    const service = await ServiceModel.findOne({ service_id: serviceId });
    if (!service) throw new NotFoundError('service', serviceId);
    return service;
  }

  private async saveChanged(service: ServiceDocument, now: Date, setPaths: string[] = []): Promise<Service> {
    if (service.isModified('dependencies')) await this.checkDependencies(service);
    if (service.isModified('monitoring.enabled') || service.isModified('monitoring.interval_sec')) {
      service.stale_at = service.monitoring.enabled
        ? staleAt(service.last_check ?? now, service.monitoring.interval_sec, this.settings.staleAfterIntervals)
        : null;
      service.next_check_at = service.monitoring.enabled ? nextCheckAfterChange(service.last_check, service.monitoring.interval_sec, now) : null;
    }
    try {
      await service.save();
    } catch (error) {
      translateWriteError(error, duplicateService, setPaths, () => new NotFoundError('service', service.service_id));
    }
    this.announce(service, 'updated');
    return this.read(service.toObject());
  }

  /**
   * Without transactions another request may move or delete the host between reading it and inserting the
   * service (its updateMany or deleteMany then missed the service): read again, the service follows its host,
   * or goes with it.
   */
  private async followHost(service: ServiceDocument): Promise<void> {
    const host = await HostModel.findOne({ host_id: service.host_id }, { environment: 1, region: 1 }).lean();
    if (!host) {
      await ServiceModel.deleteOne({ service_id: service.service_id });
      throw InvalidInputError.single('host_id', `host '${service.host_id}' does not exist`);
    }
    if (host.environment === service.environment && host.region === service.region) return;
    await ServiceModel.updateOne({ service_id: service.service_id }, { $set: { environment: host.environment, region: host.region } });
    service.environment = host.environment;
    service.region = host.region;
  }

  /** Dependencies must name existing services and must not form a cycle. */
  private async checkDependencies(service: ServiceDocument): Promise<void> {
    const wanted = [...new Set(service.dependencies)];
    if (wanted.length === 0) return;
    if (wanted.includes(service.service_id)) throw InvalidInputError.single('dependencies', 'a service cannot depend on itself');
    const existing = await ServiceModel.find({ service_id: { $in: wanted } }, { service_id: 1 }).lean();
    const missing = wanted.filter((id) => !existing.some((s) => s.service_id === id));
    if (missing.length > 0) throw InvalidInputError.single('dependencies', `unknown service(s): ${missing.join(', ')}`);
    const cycle = await findDependencyCycle(service.service_id, wanted);
    if (cycle) throw InvalidInputError.single('dependencies', `would create a cycle: ${cycle.join(' -> ')}`);
  }
}

/**
 * Targets as they are to be stored: `***` stands for the stored value in its place, and credentials a written
 * target leaves out are kept, unless cleared (src/common/secrets.ts). A field cleared but not written loses
 * its stored credentials only.
 */
function withStoredCredentials(fields: Record<string, unknown>, stored: ServiceDocument | null, clear: readonly CredentialField[]): Record<string, unknown> {
  const problems: FieldProblem[] = [];
  const result = { ...fields };
  for (const path of CREDENTIAL_FIELDS) {
    const written = fields[path];
    const storedValue = stored ? (stored.get(path) as unknown) : null;
    const storedTarget = typeof storedValue === 'string' ? storedValue : null;
    try {
      if (typeof written === 'string') result[path] = keepStoredSecrets(written, storedTarget, clear.includes(path));
      else if (written === undefined && clear.includes(path) && storedTarget) result[path] = withoutCredentials(storedTarget);
    } catch (error) {
      if (!(error instanceof MaskWithoutSecretError)) throw error;
      problems.push({ field: path, message: error.message });
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return result;
}

/** After enabling or a new interval: one interval after the last check, but never in the past (then: now). */
function nextCheckAfterChange(lastCheck: Date | null, intervalSec: number, now: Date): Date {
  const due = lastCheck ? +lastCheck + intervalSec * 1000 : +now;
  return new Date(Math.max(due, +now));
}

/** Walks the dependency graph breadth-first from `start`'s new dependencies, one query per level. */
async function findDependencyCycle(start: string, dependencies: string[]): Promise<string[] | null> {
  const parent = new Map<string, string>(dependencies.map((d) => [d, start]));
  let frontier = dependencies;
  while (frontier.length > 0) {
    const level = await ServiceModel.find({ service_id: { $in: frontier } }, { service_id: 1, dependencies: 1 }).lean();
    const next: string[] = [];
    for (const node of level) {
      for (const dep of node.dependencies ?? []) {
        if (dep === start) return [start, ...pathTo(node.service_id, parent, start), start];
        if (!parent.has(dep)) {
          parent.set(dep, node.service_id);
          next.push(dep);
        }
      }
    }
    frontier = next;
  }
  return null;
}

function pathTo(node: string, parent: Map<string, string>, start: string): string[] {
  const path = [node];
  for (let p = parent.get(node); p && p !== start; p = parent.get(p)) path.unshift(p);
  return path;
}

/** Removes deleted services from the dependency lists of the services that named them. */
/** One `service.changed` event per service, for this module and for the host changes that touch services. */
export function announceServiceChanges(events: EventBus, services: readonly Pick<Service, 'service_id' | 'host_id'>[], kind: InventoryChangeKind): void {
  const at = new Date();
  for (const service of services) events.publish('service.changed', { service_id: service.service_id, host_id: service.host_id, kind, at });
}

/** Removes deleted services from others' dependencies; returns the services that changed, to announce them. */
export async function forgetDependencies(serviceIds: string[]): Promise<Pick<Service, 'service_id' | 'host_id'>[]> {
  if (serviceIds.length === 0) return [];
  const dependents = await ServiceModel.find({ dependencies: { $in: serviceIds } }, { service_id: 1, host_id: 1 }).lean();
  if (dependents.length === 0) return [];
  await ServiceModel.updateMany({ dependencies: { $in: serviceIds } }, { $pull: { dependencies: { $in: serviceIds } } });
  return dependents.filter((d) => !serviceIds.includes(d.service_id));
}

export function serviceQuery(filter: ServiceFilter): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  const alternatives: Record<string, unknown>[] = [];
  if (filter.service_id) query.service_id = filter.service_id;
  if (filter.host_id) query.host_id = filter.host_id;
  if (filter.service_type) query.service_type = filter.service_type;
  if (filter.environment) query.environment = filter.environment;
  if (filter.region) query.region = filter.region;
  if (filter.severity) query['alerting.severity'] = filter.severity;
  // As documents read: a status this server does not know (another tool wrote it) is unknown, and so is none.
  if (filter.status) query.current_status = filter.status === 'unknown' ? { $nin: SERVICE_STATUSES.filter((s) => s !== 'unknown') } : filter.status;
  // A missing flag reads as its default, enabled.
  if (filter.enabled !== undefined) query['monitoring.enabled'] = filter.enabled ? { $ne: false } : false;
  if (filter.tag) query.tags = filter.tag;
  if (filter.consecutive_failures_at_least !== undefined) query.consecutive_failures = { $gte: filter.consecutive_failures_at_least };
  if (filter.last_check_before) alternatives.push({ $or: [{ last_check: { $lt: filter.last_check_before } }, { last_check: null }] });
  if (filter.search) {
    const text = containsText(filter.search);
    alternatives.push({ $or: [{ service_id: text }, { service_name: text }, { display_name: text }] });
  }
  if (alternatives.length > 0) query.$and = alternatives;
  return query;
}
