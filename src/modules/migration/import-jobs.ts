import { randomUUID } from 'node:crypto';
import { ConflictError, InvalidInputError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../../events/event-bus.js';
import type { ConfigImporter, ImportOptions, ImportProgress } from './config-import.js';
import { ImportJobModel, ImportJobPartModel, type ImportJob } from './import-job.model.js';
import { parseLegacyConfig } from './legacy-config.js';

/** Parts a job may have: files up to 54 MB (some 400,000 targets), so one import cannot exhaust the process's memory. */
export const MAX_IMPORT_PARTS = 60;
/** Characters a part may hold: under the 1 MB request body limit with room for the rest of the request. */
export const MAX_IMPORT_PART_CHARS = 900_000;
/** A running job writes its progress at least this often; one silent for IMPORT_JOB_STALE_MS lost its process. */
const PROGRESS_WRITE_MS = 1_000;
export const IMPORT_JOB_STALE_MS = 60_000;

export interface StartImport {
  environment: NonNullable<ImportOptions['environment']>;
  region: string;
  dryRun: boolean;
  parts: number;
}

/**
 * Imports too large for one request: started, sent in parts, then run by the process that stored the last part
 * (the others may be on any API process: parts and state are in the database). Progress and the result are on the
 * job; `import-job.changed` tells subscribers when to read it again.
 */
export class ImportJobs {
  constructor(
    private readonly importer: ConfigImporter,
    private readonly events: EventBus,
    private readonly logger: Logger,
  ) {}

  async start(input: StartImport, createdBy: string): Promise<ImportJob> {
    if (!Number.isInteger(input.parts) || input.parts < 1 || input.parts > MAX_IMPORT_PARTS) {
      throw InvalidInputError.single('parts', `must be a whole number between 1 and ${MAX_IMPORT_PARTS}, got ${input.parts}`);
    }
    // Options are judged before any part is sent, as importConfig judges them.
    this.importer.checkOptions({ environment: input.environment, region: input.region });
    const job = await ImportJobModel.create({
      job_id: randomUUID(),
      state: 'receiving',
      environment: input.environment,
      region: input.region,
      dry_run: input.dryRun,
      parts_expected: input.parts,
      created_by: createdBy,
    });
    return job.toObject();
  }

  /** Stores a part (sending one again replaces it); the last one starts the import here. */
  async addPart(jobId: string, index: number, text: string): Promise<ImportJob> {
    const job = await this.require(jobId);
    if (!Number.isInteger(index) || index < 0 || index >= job.parts_expected) {
      throw InvalidInputError.single('index', `must be between 0 and ${job.parts_expected - 1} (the job has ${job.parts_expected} parts), got ${index}`);
    }
    if (text.length > MAX_IMPORT_PART_CHARS) throw InvalidInputError.single('text', `must be at most ${MAX_IMPORT_PART_CHARS} characters a part, got ${text.length}: send more parts`);
    if (job.state !== 'receiving') throw new ConflictError(`import job ${jobId} is ${job.state}: it takes no more parts`);
    await ImportJobPartModel.updateOne({ job_id: jobId, index }, { $set: { text }, $setOnInsert: { created_at: new Date() } }, { upsert: true });
    const received = await ImportJobPartModel.countDocuments({ job_id: jobId });
    const updated = await ImportJobModel.findOneAndUpdate({ job_id: jobId, state: 'receiving' }, { $max: { parts_received: received } }, { returnDocument: 'after' }).lean<ImportJob>();
    this.announce(jobId);
    if (received < job.parts_expected) return updated ?? (await this.require(jobId));
    // The last part: whichever process claims the job runs it.
    const claimed = await ImportJobModel.findOneAndUpdate({ job_id: jobId, state: 'receiving' }, { $set: { state: 'running' } }, { returnDocument: 'after' }).lean<ImportJob>();
    if (claimed) void this.run(claimed);
    return claimed ?? (await this.require(jobId));
  }

  /** A job as it stands; one running whose process stopped reporting reads as failed. */
  async get(jobId: string, now = Date.now()): Promise<ImportJob | null> {
    const job = await ImportJobModel.findOne({ job_id: jobId }).lean<ImportJob>();
    if (job?.state === 'running' && now - +job.updated_at > IMPORT_JOB_STALE_MS) {
      return { ...job, state: 'failed', error: `the process running it stopped reporting at ${job.updated_at.toISOString()}; start the import again (it is idempotent)` };
    }
    return job;
  }

  private async require(jobId: string): Promise<ImportJob> {
    const job = await this.get(jobId);
    if (!job) throw new NotFoundError('import job', jobId);
    return job;
  }

  private async run(job: ImportJob): Promise<void> {
    const finish = async (set: Partial<ImportJob>) => {
      await ImportJobModel.updateOne({ job_id: job.job_id }, { $set: { ...set, progress: null } });
      await ImportJobPartModel.deleteMany({ job_id: job.job_id });
      this.announce(job.job_id);
    };
    try {
      const parts = await ImportJobPartModel.find({ job_id: job.job_id }).sort({ index: 1 }).lean();
      let config: unknown;
      try {
        config = parseLegacyConfig(parts.map((part) => part.text).join(''));
      } catch (error) {
        await finish({ state: 'failed', error: `the parts joined are not JSON: ${(error as Error).message}` });
        return;
      }
      const summary = await this.importer.import(config, { environment: job.environment as StartImport['environment'], region: job.region, dryRun: job.dry_run, onProgress: this.progressWriter(job.job_id) });
      await finish({ state: 'done', summary });
    } catch (error) {
      this.logger.error('import job failed', { job_id: job.job_id, reason: (error as Error).message });
      await finish({ state: 'failed', error: (error as Error).message }).catch(() => {});
    }
  }

  /** Progress written at most once a second (and at each phase's end), which also shows the job alive. */
  private progressWriter(jobId: string): (progress: ImportProgress) => void {
    let last = 0;
    return (progress) => {
      if (Date.now() - last < PROGRESS_WRITE_MS && progress.done < progress.total) return;
      last = Date.now();
      void ImportJobModel.updateOne({ job_id: jobId }, { $set: { progress } })
        .then(() => this.announce(jobId))
        .catch((error: unknown) => this.logger.warn('import job progress not written', { job_id: jobId, reason: (error as Error).message }));
    };
  }

  private announce(jobId: string): void {
    this.events.publish('import-job.changed', { job_id: jobId, at: new Date() });
  }
}
