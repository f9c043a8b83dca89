/**
 * Which services are stored in a way this server cannot use. Only reading each document can tell (types,
 * vocabularies, rules: no query expresses them), so the whole collection is read in the background, at most
 * once per `maxAgeMs`, and a request gets the services the last read found, read again by id: one fixed since
 * shows as fixed at once; one broken since (by another tool: this server validates what it writes) shows within
 * `maxAgeMs` plus one read. Only the first request of a process waits for a read; with `maxAgeMs` 0 every
 * request does (each reads every service).
 */
import { ServiceModel, type Service } from '../services/service.model.js';

/** Documents read per round trip of the background read: it yields to requests between batches. */
const SCAN_BATCH = 500;

export class MisconfiguredScan {
  private found: string[] | null = null;
  private scannedAt = 0;
  private scanning: Promise<string[]> | null = null;

  constructor(
    private readonly read: (raw: Service) => Service,
    private readonly maxAgeMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async services(): Promise<Service[]> {
    const stale = this.clock() - this.scannedAt >= this.maxAgeMs;
    const usable = this.found !== null && (!stale || this.maxAgeMs > 0);
    const ids = usable ? this.found! : await this.scan();
    if (usable && stale) void this.scan().catch(() => {}); // a later request sees what it finds
    if (ids.length === 0) return [];
    const current = await ServiceModel.find({ service_id: { $in: ids } }).sort({ service_id: 1 }).lean<Service[]>();
    return current.map((raw) => this.read(raw)).filter(hasProblems);
  }

  private scan(): Promise<string[]> {
    this.scanning ??= this.readAll().finally(() => (this.scanning = null));
    return this.scanning;
  }

  private async readAll(): Promise<string[]> {
    const started = this.clock();
    const ids: string[] = [];
    for await (const raw of ServiceModel.find().lean<Service>().cursor({ batchSize: SCAN_BATCH })) {
      if (hasProblems(this.read(raw as Service))) ids.push((raw as Service).service_id);
    }
    this.found = ids;
    this.scannedAt = started;
    return ids;
  }
}

const hasProblems = (service: Service) => (service.problems?.length ?? 0) > 0;
