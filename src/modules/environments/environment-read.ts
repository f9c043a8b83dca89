/** Environments as today's rules read them: the seed's documents have `created_at` only (see services/service-read.ts). */
import { ENVIRONMENTS, SEVERITIES, WEEKDAYS } from '../../common/enums.js';
import { fillTimestamps, readStored, storedShape, type StoredRead, type StoredShape } from '../../common/validation.js';
import { EnvironmentModel, type Environment } from './environment.model.js';

let shape: StoredShape | undefined;

export function readEnvironmentDocument(raw: unknown): StoredRead<Environment> {
  shape ??= storedShape(EnvironmentModel.schema, {
    enums: { env_name: { values: ENVIRONMENTS }, alert_severity: { values: SEVERITIES }, 'maintenance_window.day': { values: WEEKDAYS } },
  });
  const read = readStored<Environment>(raw, shape);
  fillTimestamps(read as unknown as StoredRead<Record<string, unknown>>);
  return read;
}

/** The environment as served, with `problems` set. */
export function readEnvironment(raw: unknown): Environment {
  const { doc, problems } = readEnvironmentDocument(raw);
  doc.problems = problems;
  return doc;
}
