import type { Model } from 'mongoose';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from '../common/pagination.js';

/**
 * One page of a list ordered by a unique string key, found by key range
 * (`key > cursor`), so pages stay stable while documents are added or removed
 * elsewhere in the list. Asks for one item more than the page to know if another follows.
 */
export async function pageByUniqueKey<T extends Record<string, any>>(
  model: Model<any>,
  filter: Record<string, unknown>,
  key: keyof T & string,
  request: PageRequest,
): Promise<Page<T>> {
  const size = pageSize(request.first);
  const after = request.after ? (decodeCursor(request.after, 1)[0] as string) : null;
  const query = after === null ? filter : { $and: [filter, { [key]: { $gt: after } }] };
  const docs = size === 0 ? [] : ((await model.find(query).sort({ [key]: 1 }).limit(size + 1).lean()) as T[]);
  return {
    items: docs.slice(0, size).map((node) => ({ node, cursor: encodeCursor([node[key]]) })),
    hasNextPage: docs.length > size,
    hasPreviousPage: after !== null,
    totalCount: () => model.countDocuments(filter).exec(),
  };
}

/** Escapes text for a literal, case-insensitive `$regex` match. */
export function containsText(text: string): { $regex: string; $options: string } {
  return { $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
}
