import { InvalidInputError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PageRequest {
  /** How many items; default 50, at most 500. */
  first?: number | null;
  /** Cursor of the item after which the page starts. */
  after?: string | null;
}

export interface Page<T> {
  items: { node: T; cursor: string }[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Counts every item matching the filter; a separate query, so only run when asked for. */
  totalCount: () => Promise<number>;
}

export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw InvalidInputError.single('first', `must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`);
  }
  return first;
}

/**
 * Cursors are opaque to clients: base64url of the sort-key values of an item,
 * with dates and ObjectIds tagged so they decode to the same BSON types.
 */
export function encodeCursor(values: readonly unknown[]): string {
  const tagged = values.map((v) => (v instanceof Date ? { d: v.toISOString() } : isObjectId(v) ? { o: String(v) } : v));
  return Buffer.from(JSON.stringify(tagged)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number, field = 'after'): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (!Array.isArray(values) || values.length !== arity) throw new Error('wrong shape');
    return values.map((v) => {
      if (v && typeof v === 'object' && 'd' in v) {
        const date = new Date(String((v as { d: string }).d));
        if (Number.isNaN(+date)) throw new Error('bad date');
        return date;
      }
      if (v && typeof v === 'object' && 'o' in v) {
        const id = String((v as { o: string }).o);
        if (!/^[a-f0-9]{24}$/.test(id)) throw new Error('bad object id');
        return id;
      }
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error('bad value');
      return v;
    });
  } catch {
    throw InvalidInputError.single(field, 'is not a cursor from this list');
  }
}

function isObjectId(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { _bsontype?: string })._bsontype === 'ObjectId';
}
