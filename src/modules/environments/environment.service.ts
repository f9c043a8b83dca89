import type { EnvironmentName } from '../../common/enums.js';
import { NotFoundError } from '../../common/errors.js';
import { toSetPaths, type WritableFields } from '../../common/patch.js';
import { translateWriteError } from '../../db/mongo-errors.js';
import { EnvironmentModel, type Environment, type MaintenanceWindow, type StatusPageSettings } from './environment.model.js';
import { readEnvironment } from './environment-read.js';

export interface EnvironmentInput {
  env_name: EnvironmentName;
  description?: string | null;
  color?: string | null;
  alert_severity?: Environment['alert_severity'];
  maintenance_window?: MaintenanceWindow | null;
  approval_required?: boolean;
  failure_threshold?: number | null;
  success_threshold?: number | null;
  status_page?: Partial<StatusPageSettings>;
}

export type EnvironmentPatch = Partial<Omit<EnvironmentInput, 'env_name'>>;

// A maintenance window is replaced whole: merging half of one window into another makes no sense. The status
// page's settings merge: turning the page on or off keeps its title.
const writable: WritableFields = {
  description: 'value',
  color: 'value',
  alert_severity: 'value',
  maintenance_window: 'value',
  approval_required: 'value',
  failure_threshold: 'value',
  success_threshold: 'value',
  status_page: 'object',
};

const duplicateEnvironment = (key: Record<string, unknown>) => `environment '${String(key.env_name)}' already exists`;

export class EnvironmentService {
  private writes = 0;

  /**
   * Goes up with every write through this service, so a cache of environment data in this process (the public
   * status pages) knows at once that it must read again; writes from other processes reach it by its expiry.
   */
  get revision(): number {
    return this.writes;
  }

  async create(input: EnvironmentInput): Promise<Environment> {
    const fields = toSetPaths({ ...input }, { env_name: 'value', ...writable }, EnvironmentModel.schema);
    try {
      const environment = new EnvironmentModel(fields);
      await environment.save();
      this.writes += 1;
      return readEnvironment(environment.toObject());
    } catch (error) {
      translateWriteError(error, duplicateEnvironment, Object.keys(fields));
    }
  }

  async get(name: string): Promise<Environment | null> {
    const found = await EnvironmentModel.findOne({ env_name: name as EnvironmentName }).lean<Environment>();
    return found && readEnvironment(found);
  }

  async list(): Promise<Environment[]> {
    return (await EnvironmentModel.find().sort({ env_name: 1 }).lean<Environment[]>()).map(readEnvironment);
  }

  async update(name: string, patch: EnvironmentPatch): Promise<Environment> {
    const fields = toSetPaths({ ...patch }, writable, EnvironmentModel.schema);
    const environment = await EnvironmentModel.findOne({ env_name: name as EnvironmentName });
    if (!environment) throw new NotFoundError('environment', name);
    environment.set(fields);
    try {
      await environment.save();
    } catch (error) {
      translateWriteError(error, duplicateEnvironment, Object.keys(fields), () => new NotFoundError('environment', name));
    }
    this.writes += 1;
    return readEnvironment(environment.toObject());
  }

  async delete(name: string): Promise<void> {
    const { deletedCount } = await EnvironmentModel.deleteOne({ env_name: name as EnvironmentName });
    if (deletedCount === 0) throw new NotFoundError('environment', name);
    this.writes += 1;
  }
}
