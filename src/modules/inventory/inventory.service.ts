import { DomainError, InvalidInputError } from '../../common/errors.js';
import type { EnvironmentInput, EnvironmentService } from '../environments/environment.service.js';
import type { HostInput } from '../hosts/host.input.js';
import type { HostService } from '../hosts/host.service.js';
import type { ServiceInput } from '../services/service.input.js';
import type { ServiceService } from '../services/service.service.js';
import { changedPaths } from './inventory-diff.js';
import { MASK } from '../../common/secrets.js';
import type { ChannelInput, ChannelService } from '../alerting/channel.service.js';
import type { EscalationPolicyInput, EscalationPolicyService } from '../alerting/escalation-policy.service.js';
import { channelEntry, environmentEntry, hostEntry, INVENTORY_VERSION, policyEntry, serviceEntry, type Entry, type InventoryFile } from './inventory-file.js';

export type InventoryKind = 'environment' | 'channel' | 'escalation_policy' | 'host' | 'service';

export interface InventoryChange {
  kind: InventoryKind;
  id: string;
  action: 'create' | 'update' | 'delete';
  /** For an update, the dotted paths that change. */
  fields: string[];
  /** Set when applying it was refused; the rest still applied. */
  error: string | null;
}

export interface InventoryPlan {
  dryRun: boolean;
  prune: boolean;
  changes: InventoryChange[];
}

interface Kind {
  kind: InventoryKind;
  idField: string;
  entries: (file: InventoryFile) => Entry[];
  current: () => Promise<Entry[]>;
  create: (entry: Entry) => Promise<unknown>;
  update: (id: string, patch: Entry) => Promise<unknown>;
  remove: (id: string) => Promise<unknown>;
}

/**
 * Export and apply the inventory (config as code). Applying compares each entry with what is stored (only the
 * fields it gives), then creates, updates and, with `prune`, deletes what the file lacks: environments, hosts and
 * services in that order (deletions the other way round). Each change goes through the domain's own create,
 * update and delete, so every rule holds; one refused is reported with its reason while the rest apply.
 */
export class InventoryService {
  private readonly kinds: Kind[];

  constructor(environments: EnvironmentService, hosts: HostService, services: ServiceService, channels: ChannelService, policies: EscalationPolicyService) {
    const channelId = async (name: string) => (await channels.list()).find((c) => c.name === name)?.channel_id ?? name;
    this.kinds = [
      {
        kind: 'environment',
        idField: 'env_name',
        entries: (file) => file.environments,
        current: async () => (await environments.list()).map(environmentEntry),
        create: (entry) => environments.create(entry as unknown as EnvironmentInput),
        update: (id, patch) => environments.update(id as never, patch),
        remove: (id) => environments.delete(id),
      },
      {
        kind: 'channel',
        idField: 'name',
        entries: (file) => file.channels,
        current: async () => (await channels.list()).map(channelEntry),
        create: (entry) => {
          if (entry.secret === MASK) throw InvalidInputError.single('secret', `*** stands for a stored secret, and channel '${String(entry.name)}' has none here: give the secret itself`);
          return channels.create(entry as ChannelInput);
        },
        update: async (name, patch) => channels.update(await channelId(name), patch as ChannelInput),
        remove: async (name) => channels.delete(await channelId(name)),
      },
      {
        kind: 'escalation_policy',
        idField: 'name',
        entries: (file) => file.escalation_policies,
        current: async () => (await policies.list()).map(policyEntry),
        create: (entry) => policies.create(entry as EscalationPolicyInput),
        update: (name, patch) => policies.update(name, patch as EscalationPolicyInput),
        remove: (name) => policies.delete(name),
      },
      {
        kind: 'host',
        idField: 'host_id',
        entries: (file) => file.hosts,
        current: async () => (await hosts.list()).map(hostEntry),
        create: (entry) => hosts.create(entry as unknown as HostInput),
        update: (id, patch) => hosts.update(id, patch),
        remove: (id) => hosts.delete(id),
      },
      {
        kind: 'service',
        idField: 'service_id',
        entries: (file) => dependenciesFirst(file.services),
        current: async () => (await services.list()).map(serviceEntry),
        create: (entry) => services.create(entry as unknown as ServiceInput),
        update: (id, patch) => {
          if ('host_id' in patch) throw InvalidInputError.single('host_id', 'cannot change: a service stays on its host (delete it and create it on the other)');
          return services.update(id, patch);
        },
        remove: (id) => services.delete(id),
      },
    ];
  }

  async export(): Promise<InventoryFile> {
    const [environments, channels, policies, hosts, services] = await Promise.all(this.kinds.map((k) => k.current()));
    return { version: INVENTORY_VERSION, environments: environments!, channels: channels!, escalation_policies: policies!, hosts: hosts!, services: services! };
  }

  async apply(file: InventoryFile, options: { dryRun: boolean; prune: boolean }): Promise<InventoryPlan> {
    const changes: InventoryChange[] = [];
    const deletions: { kind: Kind; change: InventoryChange }[] = [];
    for (const kind of this.kinds) {
      const current = new Map((await kind.current()).map((entry) => [String(entry[kind.idField]), entry]));
      const wanted = new Set<string>();
      for (const entry of kind.entries(file)) {
        const id = entry[kind.idField];
        if (typeof id !== 'string' || id === '') {
          changes.push({ kind: kind.kind, id: String(id ?? ''), action: 'create', fields: [], error: `${kind.idField}: is required to name the ${kind.kind}` });
          continue;
        }
        wanted.add(id);
        const stored = current.get(id);
        const fields = stored ? changedPaths(entry, stored) : [];
        if (stored && fields.length === 0) continue;
        const change: InventoryChange = { kind: kind.kind, id, action: stored ? 'update' : 'create', fields, error: null };
        changes.push(change);
        if (!options.dryRun) change.error = await refusal(() => (stored ? kind.update(id, changedPart(entry, fields)) : kind.create(entry)));
      }
      if (options.prune) for (const id of current.keys()) if (!wanted.has(id)) deletions.push({ kind, change: { kind: kind.kind, id, action: 'delete', fields: [], error: null } });
    }
    // Services before their hosts, hosts before their environments; a host's deletion takes its services along.
    for (const { kind, change } of deletions.reverse()) {
      changes.push(change);
      if (!options.dryRun) change.error = await refusal(() => kind.remove(change.id));
    }
    return { dryRun: options.dryRun, prune: options.prune, changes };
  }
}

/** What a refused change says; null when it applied. A fault of ours is thrown. */
async function refusal(work: () => Promise<unknown>): Promise<string | null> {
  try {
    await work();
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error.message;
    throw error;
  }
}

/** The entry's top-level fields that change (nested objects merge on update, lists are replaced). */
function changedPart(entry: Entry, fields: string[]): Entry {
  const keys = new Set(fields.map((path) => path.split('.')[0]!));
  return Object.fromEntries(Object.entries(entry).filter(([key]) => keys.has(key)));
}

/** Services a file lists, each after those it depends on (where the file has them), so creating one never names one not yet there. */
function dependenciesFirst(services: Entry[]): Entry[] {
  const byId = new Map(services.map((s) => [String(s.service_id), s]));
  const ordered: Entry[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (service: Entry) => {
    const id = String(service.service_id);
    if (placed.has(id) || visiting.has(id)) return;
    visiting.add(id);
    for (const dependency of Array.isArray(service.dependencies) ? service.dependencies : []) {
      const other = byId.get(String(dependency));
      if (other) place(other);
    }
    visiting.delete(id);
    placed.add(id);
    ordered.push(service);
  };
  services.forEach(place);
  return ordered;
}
