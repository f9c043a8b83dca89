import type { Collection, Document } from 'mongodb';

/** Documents per insert command: large enough to amortise a round trip, small enough to keep each command short. */
export const INSERT_BATCH = 1_000;

/**
 * Inserts every document it can, unordered, in batches: what each refused document was refused for, by its index
 * in `docs` (a duplicate key, typically). Anything but per-document refusals is thrown.
 */
export async function insertEach(collection: Collection, docs: readonly Document[]): Promise<Map<number, unknown>> {
  const refused = new Map<number, unknown>();
  for (let start = 0; start < docs.length; start += INSERT_BATCH) {
    const batch = docs.slice(start, start + INSERT_BATCH);
    try {
      await collection.insertMany(batch as Document[], { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      // Servers report the refusals as a list or, for one, as an object.
      const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as { index: number; code?: number; errmsg?: string; err?: unknown }[];
      if (list.length === 0) throw error;
      for (const writeError of list) refused.set(start + writeError.index, { code: writeError.code, errmsg: writeError.errmsg, keyValue: (writeError.err as { keyValue?: unknown } | undefined)?.keyValue });
    }
  }
  return refused;
}
