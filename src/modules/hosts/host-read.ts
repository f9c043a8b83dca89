/** Hosts as today's rules read them, whoever wrote them (see services/service-read.ts). */
import { ENVIRONMENTS, HOST_STATUSES } from '../../common/enums.js';
import { fillTimestamps, readStored, storedShape, type StoredRead, type StoredShape } from '../../common/validation.js';
import { HostModel, type Host } from './host.model.js';

let shape: StoredShape | undefined;

export function readHostDocument(raw: unknown): StoredRead<Host> {
  shape ??= storedShape(HostModel.schema, {
    enums: { environment: { values: ENVIRONMENTS }, status: { values: HOST_STATUSES } },
    secret: ['ssh_config.key_path'],
  });
  const read = readStored<Host>(raw, shape);
  fillTimestamps(read as unknown as StoredRead<Record<string, unknown>>);
  return read;
}

/** The host as served, with `problems` set. */
export function readHost(raw: unknown): Host {
  const { doc, problems } = readHostDocument(raw);
  doc.problems = problems;
  return doc;
}
