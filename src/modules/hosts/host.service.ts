import type { EnvironmentName } from '../../common/enums.js';
import { ConflictError, InvalidInputError, NotFoundError, type DomainError } from '../../common/errors.js';
import { MASK } from '../../common/secrets.js';
import { toSetPaths } from '../../common/patch.js';
import type { Page, PageRequest } from '../../common/pagination.js';
import { containsText, pageByUniqueKey } from '../../db/keyset.js';
import { insertEach } from '../../db/bulk-insert.js';
import { isDuplicateKeyError, translateWriteError, writeErrorOf } from '../../db/mongo-errors.js';
import { EventBus, type InventoryChangeKind } from '../../events/event-bus.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import { announceServiceChanges, forgetDependencies } from '../services/service.service.js';
import { HostModel, sshEndpoint, type Host } from './host.model.js';
import { readHost } from './host-read.js';
import { creatableHostFields, writableHostFields, type HostInput, type HostPatch } from './host.input.js';

export interface HostFilter {
  environment?: EnvironmentName;
  region?: string;
  status?: Host['status'];
  tag?: string;
  /** Case-insensitive text in host_id, hostname or ip_address. */
  search?: string;
}

const duplicateHost = (key: Record<string, unknown>) =>
  key.ssh_endpoint !== undefined ? `another host is already at ${String(key.ssh_endpoint)}: one machine is one host` : `host '${String(key.host_id)}' already exists`;

/** A new host: its id is free (said first: a second create of one host is that) and so is its machine. */
async function ensureNewMachine(host: Pick<Host, 'host_id' | 'ip_address' | 'ssh_config'>): Promise<void> {
  if (await HostModel.exists({ host_id: host.host_id })) throw new ConflictError(duplicateHost({ host_id: host.host_id }));
  await ensureMachineFree(host);
}

/** One machine is one host: refuses a host at the address and SSH port of another, naming it. */
async function ensureMachineFree(host: Pick<Host, 'host_id' | 'ip_address' | 'ssh_config'>): Promise<void> {
  const port = host.ssh_config?.port;
  if (!host.ip_address || !port) return;
  const other = await HostModel.findOne({ ip_address: host.ip_address, 'ssh_config.port': port, host_id: { $ne: host.host_id } }, { host_id: 1 }).lean<Pick<Host, 'host_id'>>();
  if (other) throw new ConflictError(`host '${other.host_id}' is already at ${sshEndpoint(host.ip_address, port)}: one machine is one host (change that host, or give this one another address or SSH port)`);
}

/** Inventory of hosts; every change is announced (`host.changed`, and `service.changed` for services it touches) once written. */
export class HostService {
  constructor(private readonly events: EventBus = new EventBus()) {}

  async create(input: HostInput): Promise<Host> {
    const fields = toSetPaths({ ...input }, creatableHostFields, HostModel.schema);
    if (fields['ssh_config.key_path'] === MASK) throw InvalidInputError.single('ssh_config.key_path', 'is *** but nothing is stored to keep: send the path itself');
    const host = new HostModel({});
    host.set(fields);
    try {
      await host.validate();
    } catch (error) {
      translateWriteError(error, duplicateHost, Object.keys(fields));
    }
    await ensureNewMachine(host);
    try {
      await host.save({ validateBeforeSave: false });
    } catch (error) {
      // Another create won the race: say which rule it broke, as when it came first.
      if (isDuplicateKeyError(error)) await ensureNewMachine(host);
      translateWriteError(error, duplicateHost, Object.keys(fields));
    }
    this.announce(host.host_id, 'created');
    return readHost(host.toObject());
  }

  /**
   * Many new hosts in a few round trips (an import): each validated as `create` does, then inserted unordered in
   * batches; the unique keys refuse a taken id or machine (a CONFLICT saying which, as `create` does). What each
   * input came to, by its index: the host, or the error that kept it out.
   */
  async createMany(inputs: readonly HostInput[], now = new Date()): Promise<(Host | DomainError)[]> {
    const outcomes: (Host | DomainError)[] = new Array(inputs.length);
    const prepared: { index: number; doc: Record<string, unknown> }[] = [];
    for (const [index, input] of inputs.entries()) {
      const fields = toSetPaths({ ...input }, creatableHostFields, HostModel.schema);
      const host = new HostModel({});
      host.set(fields);
      try {
        await host.validate();
        prepared.push({ index, doc: { ...host.toObject(), created_at: now, updated_at: now } });
      } catch (error) {
        outcomes[index] = writeErrorOf(error, duplicateHost, Object.keys(fields));
      }
    }
    const refused = await insertEach(HostModel.collection, prepared.map((p) => p.doc));
    for (const [position, { index, doc }] of prepared.entries()) {
      const refusal = refused.get(position);
      if (refusal === undefined) {
        outcomes[index] = readHost(doc);
        this.announce(String(doc.host_id), 'created');
      } else {
        outcomes[index] = writeErrorOf(refusal, duplicateHost);
      }
    }
    return outcomes;
  }

  async get(hostId: string): Promise<Host | null> {
    const found = await HostModel.findOne({ host_id: hostId }).lean<Host>();
    return found && readHost(found);
  }

  async require(hostId: string): Promise<Host> {
    const host = await this.get(hostId);
    if (!host) throw new NotFoundError('host', hostId);
    return host;
  }

  /** Hosts by id, in one query (for batched loading). */
  async getMany(hostIds: readonly string[]): Promise<Host[]> {
    return (await HostModel.find({ host_id: { $in: [...hostIds] } }).lean<Host[]>()).map(readHost);
  }

  async list(filter: HostFilter = {}): Promise<Host[]> {
    return (await HostModel.find(hostQuery(filter)).sort({ host_id: 1 }).lean<Host[]>()).map(readHost);
  }

  /** One page of hosts ordered by host_id. */
  async page(filter: HostFilter, request: PageRequest): Promise<Page<Host>> {
    const page = await pageByUniqueKey<Host>(HostModel, hostQuery(filter), 'host_id', request);
    return { ...page, items: page.items.map((item) => ({ ...item, node: readHost(item.node) })) };
  }

  async byEnvironment(environment: EnvironmentName): Promise<Host[]> {
    return this.list({ environment });
  }

  async byRegion(region: string): Promise<Host[]> {
    return this.list({ region });
  }

  /**
   * Partial update. A move to another environment or region is copied to the
   * host's services first, so a failure part-way leaves the host unchanged and
   * repeating the call completes it.
   */
  async update(hostId: string, patch: HostPatch): Promise<Host> {
    const fields = toSetPaths({ ...patch }, writableHostFields, HostModel.schema);
    // The key path is never read back; *** (what a client may echo for a secret) keeps it.
    if (fields['ssh_config.key_path'] === MASK) delete fields['ssh_config.key_path'];
    const host = await HostModel.findOne({ host_id: hostId });
    if (!host) throw new NotFoundError('host', hostId);
    host.set(fields);
    try {
      await host.validate();
    } catch (error) {
      translateWriteError(error, duplicateHost, Object.keys(fields));
    }
    if (host.isModified('ip_address') || host.isModified('ssh_config.port')) await ensureMachineFree(host);
    const relabelled = host.isModified('environment') || host.isModified('region');
    if (relabelled) {
      await ServiceModel.updateMany(
        { host_id: hostId },
        { $set: { environment: host.environment, region: host.region, updated_at: new Date() } },
      );
    }
    try {
      await host.save();
    } catch (error) {
      if (isDuplicateKeyError(error)) await ensureMachineFree(host);
      translateWriteError(error, duplicateHost, Object.keys(fields), () => new NotFoundError('host', hostId));
    }
    if (relabelled) {
      // Again after the host is saved: a service created meanwhile read the host's old labels after the first pass
      // and before the save (its own re-read of the host came too early to see the move); this pass catches it.
      await ServiceModel.updateMany(
        { host_id: hostId, $or: [{ environment: { $ne: host.environment } }, { region: { $ne: host.region } }] },
        { $set: { environment: host.environment, region: host.region, updated_at: new Date() } },
      );
    }
    this.announce(hostId, 'updated');
    if (relabelled) {
      announceServiceChanges(this.events, await ServiceModel.find({ host_id: hostId }, { service_id: 1, host_id: 1 }).lean(), 'updated');
    }
    return readHost(host.toObject());
  }

  /** Deletes the host and every service on it; their history ages out by retention. */
  async delete(hostId: string): Promise<{ deletedServiceIds: string[] }> {
    const host = await HostModel.exists({ host_id: hostId });
    if (!host) throw new NotFoundError('host', hostId);
    const before = await this.deleteServicesOf(hostId);
    await HostModel.deleteOne({ host_id: hostId });
    // A service saved between the first sweep and the host's deletion read the host as still there (a create checks
    // it after its own write): swept now. One saved after this sweep finds the host gone and deletes itself.
    const late = await this.deleteServicesOf(hostId);
    const services = [...before, ...late];
    const deletedServiceIds = services.map((s) => s.service_id);
    const dependents = await forgetDependencies(deletedServiceIds);
    announceServiceChanges(this.events, services, 'deleted');
    announceServiceChanges(this.events, dependents, 'updated');
    this.announce(hostId, 'deleted');
    return { deletedServiceIds };
  }

  private async deleteServicesOf(hostId: string): Promise<Pick<Service, 'service_id' | 'host_id'>[]> {
    const services = await ServiceModel.find({ host_id: hostId }, { service_id: 1, host_id: 1 }).lean<Pick<Service, 'service_id' | 'host_id'>[]>();
    if (services.length > 0) await ServiceModel.deleteMany({ host_id: hostId, service_id: { $in: services.map((s) => s.service_id) } });
    return services;
  }

  /** Records a successful contact; never moves last_seen backwards. */
  async markSeen(hostId: string, at: Date): Promise<void> {
    await HostModel.updateOne({ host_id: hostId }, { $max: { last_seen: at } }, { timestamps: false });
  }

  private announce(hostId: string, kind: InventoryChangeKind): void {
    this.events.publish('host.changed', { host_id: hostId, kind, at: new Date() });
  }
}

export function hostQuery(filter: HostFilter): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.environment) query.environment = filter.environment;
  if (filter.region) query.region = filter.region;
  // A missing status reads as its default, active.
  if (filter.status) query.status = filter.status === 'active' ? { $in: ['active', null] } : filter.status;
  if (filter.tag) query['metadata.tags'] = filter.tag;
  if (filter.search) {
    const text = containsText(filter.search);
    query.$or = [{ host_id: text }, { hostname: text }, { ip_address: text }];
  }
  return query;
}
