import { MASK } from '../../common/secrets.js';
import type { Entry } from './inventory-file.js';

/** Values compared as they are written out (a stored date and the text a file has for it are the same value). */
const asWritten = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/**
 * The dotted paths a file entry sets to something other than what is stored. Only what the entry says counts (a
 * field left out keeps its stored value); `***` stands for the stored secret; lists are compared whole.
 */
export function changedPaths(wanted: Entry, current: Entry, prefix = ''): string[] {
  const changed: string[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    const path = `${prefix}${key}`;
    const stored = current?.[key];
    if (value === MASK) continue;
    if (isObject(value) && isObject(stored)) changed.push(...changedPaths(value, stored, `${path}.`));
    else if (JSON.stringify(asWritten(value)) !== JSON.stringify(asWritten(stored) ?? null)) changed.push(path);
  }
  return changed;
}

const isObject = (value: unknown): value is Entry => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
