import { isIP } from 'node:net';

/**
 * Strict patterns for every string that identifies something or may later reach
 * a shell over SSH. Each is anchored and starts with an alphanumeric so a value
 * can never be read as a command-line option.
 */
export const patterns = {
  /** host_id, service_id: `host_jeju_mysql_001`. */
  id: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
  /** RFC 1123 host name, dotted labels of letters, digits and inner hyphens. */
  hostname: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  /**
   * systemd unit name (systemd.unit(5)): letters, digits and `:_.@-`, at most 255 characters.
   * The backslash escapes of systemd-escape are refused: nothing we monitor needs them.
   */
  systemdUnit: /^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,254}$/,
  /** A service's name where no shell sees it ("Company website"): no quotes, no shell metacharacters. */
  readableName: /^[A-Za-z0-9][A-Za-z0-9 _.:@()/-]{0,127}$/,
  /** Region or datacenter label: `asia-pacific`, `us-east-1`, `Seoul-DC1`. */
  label: /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/,
  /** POSIX-portable user name as accepted by useradd. */
  unixUser: /^[a-z_][a-z0-9_-]{0,31}$/,
  /** Absolute path to a key file, without shell metacharacters or `..` segments. */
  absolutePath: /^(?!.*\/\.\.(?:\/|$))\/[A-Za-z0-9_./@+-]{1,4095}$/,
  /** Name of an entry in a server-side allow-list (custom checks and recovery scripts). */
  allowListName: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  /** Free-form tag: `mysql`, `backup-enabled`, `team:db`. */
  tag: /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/,
  /** `#RRGGBB` colour. */
  hexColor: /^#[0-9A-Fa-f]{6}$/,
  /** `HH:MM`, 24-hour clock. */
  clockTime: /^(?:[01]\d|2[0-3]):[0-5]\d$/,
} as const;

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** How a tag must look, for error messages. */
export const TAG_RULE = 'letters, digits and _ . : / - (max 64), starting alphanumeric';

export const CHECK_TARGET_SCHEMES = ['http:', 'https:', 'tcp:', 'postgresql:', 'postgres:', 'mysql:', 'redis:', 'mongodb:', 'ping:', 'dns:'] as const;

/** A URL the http, tcp, database, ping or dns checkers can reach (a dns: URL's own rules: common/dns-target.ts). */
export function isCheckTarget(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === 'dns:') return true;
    return (CHECK_TARGET_SCHEMES as readonly string[]).includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Reading documents other tools wrote
// ---------------------------------------------------------------------------

/** A stored value this server cannot use as it is (written by another tool, or by an older version). */
export interface DataProblem {
  /** Dotted stored path, e.g. `monitoring.method`. */
  readonly field: string;
  readonly message: string;
}

/** A missing field read as its default (or derived from other fields); what `db:doctor --fix` writes. */
export interface FilledField {
  readonly field: string;
  readonly value: unknown;
  /** `default` for a missing optional field, `derived` for one computed from others (stale_at from last_check...). */
  readonly how: 'default' | 'derived';
}

/** What reading a stored document made of it. */
export interface StoredRead<T> {
  /** The document with missing fields filled and unusable values replaced; safe to serve. */
  readonly doc: T;
  /** Values that break today's rules (unknown enum values, wrong types, missing required values...). */
  readonly problems: DataProblem[];
  /** Fields that were missing and were filled in. */
  readonly filled: FilledField[];
}

/** Per collection: what the schema alone does not say. */
export interface ReadRules {
  /** Closed vocabularies (stored path → values); an unknown value reads as `unknownAs` (default null). */
  readonly enums?: Readonly<Record<string, { values: readonly string[]; unknownAs?: string | null }>>;
  /** GraphQL Int fields without a whole-number validator: a fractional value reads as the default. */
  readonly integers?: readonly string[];
  /** Internal bookkeeping paths (leases...) that are neither served nor checked here. */
  readonly ignore?: readonly string[];
  /** Paths whose values may hold credentials or name secret files: problems never repeat the value. */
  readonly secret?: readonly string[];
}

interface Leaf {
  readonly path: string;
  readonly parts: string[];
  readonly instance: string;
  readonly itemInstance: string | undefined;
  readonly defaultValue: unknown;
  readonly required: boolean;
  readonly validators: readonly { validator: (value: unknown) => unknown; message?: unknown; type?: string; [key: string]: unknown }[];
}

interface Nested {
  readonly path: string;
  readonly parts: string[];
  readonly defaultValue: unknown;
  readonly required: boolean;
}

/** The shape of one collection's documents, taken once from its mongoose schema. */
export interface StoredShape {
  readonly leaves: readonly Leaf[];
  readonly nested: readonly Nested[];
  readonly rules: ReadRules;
}

interface SchemaLike {
  eachPath(fn: (path: string, type: any) => void): void;
}

export function storedShape(schema: SchemaLike, rules: ReadRules = {}): StoredShape {
  const leaves: Leaf[] = [];
  const nested: Nested[] = [];
  const ignored = new Set(['_id', ...(rules.ignore ?? [])]);
  const walk = (s: SchemaLike, prefix: string) =>
    s.eachPath((name, type) => {
      const path = prefix + name;
      if (ignored.has(path)) return;
      if (type.instance === 'Embedded' && type.schema) {
        nested.push({ path, parts: path.split('.'), defaultValue: type.defaultValue, required: Boolean(type.isRequired) });
        walk(type.schema, `${path}.`);
        return;
      }
      leaves.push({
        path,
        parts: path.split('.'),
        instance: type.instance,
        itemInstance: type.embeddedSchemaType?.instance ?? type.caster?.instance,
        defaultValue: type.defaultValue,
        required: Boolean(type.isRequired),
        validators: (type.validators ?? []).filter((v: { type?: string }) => v.type !== 'required'),
      });
    });
  walk(schema, '');
  return { leaves, nested, rules };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value as { _bsontype?: string })._bsontype;
/** Longest value a message repeats whole; longer ones are cut (a 5,000-character input is not echoed back). */
const SHOWN_VALUE_MAX = 80;

/** A value as a message quotes it: JSON, cut to its start when long, with its size. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length <= SHOWN_VALUE_MAX) return text;
  const size = typeof value === 'string' ? `${value.length} characters` : Array.isArray(value) ? `${value.length} items` : `${text.length} characters`;
  return `${text.slice(0, 40)}... (${size})`;
}

/**
 * Text with every quoted value longer than a message should repeat cut as showValue cuts it: for messages
 * written by others (graphql-js: `Variable "$input" got invalid value "xxxx..." at ...`).
 */
export function cutLongQuotedValues(text: string): string {
  return text.replace(/"((?:[^"\\]|\\.){80,})"/g, (_m, inner: string) => `"${inner.slice(0, 39)}..." (${inner.length} characters)`);
}

const show = showValue;
const defaultOf = (value: unknown): unknown => (typeof value === 'function' ? (value as () => unknown)() : value);

function getPath(doc: Record<string, unknown>, parts: readonly string[]): unknown {
  let at: unknown = doc;
  for (const part of parts) {
    if (!isPlainObject(at)) return undefined;
    at = at[part];
  }
  return at;
}

function setPath(doc: Record<string, unknown>, parts: readonly string[], value: unknown): void {
  let at = doc;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  at[parts.at(-1)!] = value;
}

/** Whether a value has the JS type of this mongoose type (Mixed, ObjectId and unknown types always do). */
function typed(instance: string | undefined, value: unknown): { ok: true; value: unknown } | { ok: false; what: string } {
  switch (instance) {
    case 'String':
      return typeof value === 'string' ? { ok: true, value } : { ok: false, what: 'a string' };
    case 'Number':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : { ok: false, what: 'a number' };
    case 'Boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, what: 'true or false' };
    case 'Date':
      if (value instanceof Date && !Number.isNaN(+value)) return { ok: true, value };
      return { ok: false, what: 'a date' };
    default:
      return { ok: true, value };
  }
}

function validatorMessage(v: Leaf['validators'][number], path: string, value: unknown): string {
  if (typeof v.message === 'function') return String((v.message as (p: { value: unknown; path: string }) => unknown)({ value, path }));
  const text = typeof v.message === 'string' ? v.message : `is not valid, got ${show(value)}`;
  return text
    .replace(/Path `\{PATH\}` \(`\{VALUE\}`\)/, `got ${show(value)}:`)
    .replace(/\{PATH\}/g, path)
    .replace(/\{VALUE\}/g, String(value))
    .replace(/\{([A-Z]+)\}/g, (_, key: string) => String(v[key.toLowerCase()] ?? key));
}

/**
 * Reads a stored document as today's rules expect it, whoever wrote it: a
 * missing field takes its default, a value of the wrong type or outside a closed
 * vocabulary is replaced (enums by `unknownAs`, else the default or null) and
 * reported, values breaking a rule but still servable are kept and reported.
 * Never throws: one odd document must not break a list.
 */
export function readStored<T>(raw: unknown, shape: StoredShape): StoredRead<T> {
  const problems: DataProblem[] = [];
  const filled: FilledField[] = [];
  const doc: Record<string, unknown> = isPlainObject(raw) ? { ...raw } : {};
  const absentParents: string[] = [];
  const underAbsent = (path: string) => absentParents.some((p) => path.startsWith(`${p}.`));

  for (const n of shape.nested) {
    if (underAbsent(n.path)) continue;
    const value = getPath(doc, n.parts);
    if (isPlainObject(value)) {
      setPath(doc, n.parts, { ...value });
      continue;
    }
    if (value !== undefined && value !== null) problems.push({ field: n.path, message: `must be an object, got ${show(value)}` });
    const fallback = defaultOf(n.defaultValue);
    if (isPlainObject(fallback) || n.required) {
      setPath(doc, n.parts, {});
      // Its fields' defaults are recorded one by one (a `$set` of each creates the object).
      if (n.required && !isPlainObject(fallback) && (value === undefined || value === null)) problems.push({ field: n.path, message: 'is missing' });
    } else {
      setPath(doc, n.parts, null);
      absentParents.push(n.path);
    }
  }

  for (const leaf of shape.leaves) {
    if (underAbsent(leaf.path)) continue;
    const value = getPath(doc, leaf.parts);
    const fallback = defaultOf(leaf.defaultValue);
    const enumRule = shape.rules.enums?.[leaf.path];
    if (value === undefined || value === null) {
      if (fallback !== undefined && fallback !== null) {
        setPath(doc, leaf.parts, fallback);
        filled.push({ field: leaf.path, value: fallback, how: 'default' });
      } else if (leaf.required) {
        problems.push({ field: leaf.path, message: 'is missing' });
        setPath(doc, leaf.parts, missingValue(leaf, enumRule));
      } else if (value === undefined) {
        setPath(doc, leaf.parts, fallback ?? null);
      }
      continue;
    }
    if (leaf.instance === 'Array') {
      if (!Array.isArray(value)) {
        problems.push({ field: leaf.path, message: `must be a list, got ${show(value)}` });
        setPath(doc, leaf.parts, Array.isArray(fallback) ? fallback : []);
        continue;
      }
      const kept = value.filter((item) => typed(leaf.itemInstance, item).ok && (!enumRule || enumRule.values.includes(item as string)));
      if (enumRule && kept.length < value.length) {
        const unknown = value.filter((item) => !kept.includes(item));
        problems.push({ field: leaf.path, message: `unknown value(s) ${unknown.map(show).join(', ')}; known: ${enumRule.values.join(', ')}` });
      } else {
        const failed = leaf.validators.find((v) => !v.validator(value));
        if (failed) problems.push({ field: leaf.path, message: validatorMessage(failed, leaf.path, value) });
        else if (kept.length < value.length) problems.push({ field: leaf.path, message: `must each be ${leaf.itemInstance?.toLowerCase()}, got ${show(value)}` });
      }
      setPath(doc, leaf.parts, kept);
      continue;
    }
    if (enumRule) {
      if (!enumRule.values.includes(value as string)) {
        problems.push({ field: leaf.path, message: `unknown value ${show(value)}; known: ${enumRule.values.join(', ')}` });
        setPath(doc, leaf.parts, enumRule.unknownAs ?? null);
      }
      continue;
    }
    const ok = typed(leaf.instance, value);
    if (!ok.ok) {
      const got = shape.rules.secret?.includes(leaf.path) ? '' : `, got ${show(value)}`;
      problems.push({ field: leaf.path, message: `must be ${ok.what}${got}` });
      // A date stored as text still says when: read it as that instant.
      const parsed = leaf.instance === 'Date' && (typeof value === 'string' || typeof value === 'number') ? new Date(value) : null;
      setPath(doc, leaf.parts, parsed && !Number.isNaN(+parsed) ? parsed : leaf.required && (fallback === undefined || fallback === null) ? missingValue(leaf) : (fallback ?? null));
      continue;
    }
    const failed = leaf.validators.find((v) => {
      try {
        return !v.validator(value);
      } catch {
        return true;
      }
    });
    const fractional = typeof value === 'number' && !Number.isInteger(value) && (failed !== undefined || shape.rules.integers?.includes(leaf.path));
    if (failed) problems.push({ field: leaf.path, message: validatorMessage(failed, leaf.path, value) });
    else if (fractional) problems.push({ field: leaf.path, message: `must be a whole number, got ${show(value)}` });
    // Kept as stored when it can still be served; a fractional Int cannot.
    if (fractional) setPath(doc, leaf.parts, fallback ?? null);
  }
  return { doc: doc as T, problems, filled };
}

/** What a required value with no default reads as when it is missing: an empty value of its type, so the document stays listable. */
function missingValue(leaf: Leaf, enumRule?: { unknownAs?: string | null }): unknown {
  if (enumRule) return enumRule.unknownAs ?? null;
  switch (leaf.instance) {
    case 'String':
      return '';
    case 'Number':
      return 0;
    case 'Boolean':
      return false;
    default:
      return null;
  }
}

/** When a document was created, from its ObjectId when the field is missing. */
export function creationTime(doc: { _id?: unknown }): Date | null {
  const id = doc._id as { getTimestamp?: () => Date } | undefined;
  return typeof id?.getTimestamp === 'function' ? id.getTimestamp() : null;
}

/** Fills `created_at` (from the ObjectId) and `updated_at` (from created_at) when missing. */
export function fillTimestamps(read: StoredRead<Record<string, unknown>>): void {
  const doc = read.doc;
  if (!(doc.created_at instanceof Date)) {
    const created = creationTime(doc);
    if (created) {
      doc.created_at = created;
      read.filled.push({ field: 'created_at', value: created, how: 'derived' });
    } else {
      read.problems.push({ field: 'created_at', message: 'is missing' });
    }
  }
  if (!(doc.updated_at instanceof Date) && doc.created_at instanceof Date) {
    doc.updated_at = doc.created_at;
    read.filled.push({ field: 'updated_at', value: doc.created_at, how: 'derived' });
  }
}
