/**
 * Secrets are write-only. Credentials ride inside check targets (the seed's tooling stores
 * `monitoring.target` as one string, `postgresql://monitor:pw@db:5432/app`), so they are stored
 * there and masked wherever a target is read; and free text (check errors, recovery messages, log
 * lines) is scrubbed of anything shaped like a credential before it leaves the process.
 *
 * Masking rules for a target (`maskTarget`):
 * - URL userinfo: the password becomes `***` (`postgresql://monitor:***@db:5432/app`); a user name
 *   without a password is masked whole (`https://***@host/`: such a lone name is usually a token).
 * - Query parameters with secret names (`password`, `sslpassword`, `token`, `access_token`, `api_key`,
 *   `secret`, `signature`...) and, outside http(s), parameters whose value is a local file path
 *   (`sslkey=/etc/...`) read `***`.
 * - Text that is not a URL (a `key=value` DSN another tool wrote): `password=` / `pwd=` values read `***`.
 *
 * Written back (`keepStoredSecrets`), `***` in any of those places means "the stored value", and a
 * target without credentials keeps the stored ones, unless the caller asks to clear them.
 */

export const MASK = '***';

/** Parameter names (lower case, without `-`, `_`, `.`) that carry a secret. */
const SECRET_PARAM = /pass|pwd|secret|token|apikey|signature|^sig$|credential|^key$|privatekey|keyfile|sslkey|^auth$|authmechanismproperties|sessionid|^session$/;
const LOCAL_PATH_VALUE = /^(?:\/|~\/|\.{1,2}\/)/;
/** `password=...` in a libpq / ODBC style DSN or any free text; a quoted value may hold spaces. */
const DSN_PASSWORD = /\b(password|passwd|pwd)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s;,&]+)/gi;
/** `password=...`, `token=...`, `api_key=...`, `client_secret=...` pairs in free text (a DSN, an error message). */
const SECRET_PAIR_IN_TEXT = /\b([\w-]*(?:password|passwd|pwd|secret|token|api_?key))(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s;,&]+)/gi;
/** `"password": "..."` in JSON-ish text. */
const JSON_SECRET = /("(?:[A-Za-z_-]*(?:password|passwd|secret|token|apikey|api_key|keyPath|key_path))"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
const URL_START = /^([A-Za-z][A-Za-z0-9+.-]*:)\/\//;

const secretParam = (name: string) => SECRET_PARAM.test(decodeSafe(name).toLowerCase().replace(/[-_.]/g, ''));

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A target split as text (never re-serialized: what is shown is what is stored, masked). */
interface TargetParts {
  scheme: string;
  /** Text between `//` and the last `@` of the authority; null when there is no `@`. */
  userinfo: string | null;
  /** Host, port and path. */
  rest: string;
  /** Query parameters as `name=value` texts (without `?`), in order; null without a query. */
  params: string[] | null;
  /** `#...` or ''. */
  fragment: string;
}

/**
 * Splits `scheme://[userinfo@]host[:port][/path][?query][#fragment]` as the WHATWG URL parser sees a valid
 * URL (the authority ends at the first `/`, `?` or `#`; userinfo is up to its last `@`). Text that no
 * URL parser accepts is split more suspiciously: everything up to the last `@` of the whole text counts
 * as userinfo, so a password holding an unescaped `/` or `#` is still masked.
 */
function splitTarget(target: string): TargetParts | null {
  const head = URL_START.exec(target);
  if (!head) return null;
  const scheme = head[1]!;
  let body = target.slice(head[0].length);
  let fragment = '';
  let userinfo: string | null = null;
  if (!isParseableUrl(target)) {
    const at = body.lastIndexOf('@');
    if (at >= 0) {
      userinfo = body.slice(0, at);
      body = body.slice(at + 1);
    }
  }
  const hash = body.indexOf('#');
  if (hash >= 0) {
    fragment = body.slice(hash);
    body = body.slice(0, hash);
  }
  if (userinfo === null) {
    const end = body.search(/[/?]/);
    const authority = end < 0 ? body : body.slice(0, end);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      userinfo = authority.slice(0, at);
      body = body.slice(at + 1);
    }
  }
  const question = body.indexOf('?');
  const params = question >= 0 ? body.slice(question + 1).split('&') : null;
  const rest = question >= 0 ? body.slice(0, question) : body;
  return { scheme, userinfo, rest, params, fragment };
}

function isParseableUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function joinTarget(parts: TargetParts): string {
  const userinfo = parts.userinfo === null ? '' : `${parts.userinfo}@`;
  const query = parts.params === null ? '' : `?${parts.params.join('&')}`;
  return `${parts.scheme}//${userinfo}${parts.rest}${query}${parts.fragment}`;
}

const paramName = (param: string) => (param.includes('=') ? param.slice(0, param.indexOf('=')) : param);
const paramValue = (param: string) => (param.includes('=') ? param.slice(param.indexOf('=') + 1) : '');
const isHttp = (scheme: string) => scheme === 'http:' || scheme === 'https:';

/** Whether this query parameter of a target holds a secret (or, outside http(s), a local file path). */
function sensitiveParam(param: string, scheme: string): boolean {
  const value = paramValue(param);
  if (value === '') return false;
  return secretParam(paramName(param)) || (!isHttp(scheme) && LOCAL_PATH_VALUE.test(decodeSafe(value)));
}

function maskUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  if (colon < 0) return userinfo === '' ? '' : MASK;
  return colon === userinfo.length - 1 ? userinfo : `${userinfo.slice(0, colon)}:${MASK}`;
}

/** A target as anyone may read it: credentials replaced by `***` (see the module comment). */
export function maskTarget(target: string): string;
export function maskTarget(target: string | null | undefined): string | null;
export function maskTarget(target: string | null | undefined): string | null {
  if (target === null || target === undefined) return null;
  const parts = splitTarget(target);
  if (!parts) return maskDsn(target);
  return joinTarget({
    ...parts,
    userinfo: parts.userinfo === null ? null : maskUserinfo(parts.userinfo),
    params: parts.params && parts.params.map((p) => (sensitiveParam(p, parts.scheme) ? `${paramName(p)}=${MASK}` : p)),
  });
}

function maskDsn(text: string): string {
  return text.replace(DSN_PASSWORD, (_m, key: string, eq: string) => `${key}${eq}${MASK}`);
}

/** Whether a target carries credentials (userinfo, a secret parameter, a DSN password). */
export function hasCredentials(target: string | null | undefined): boolean {
  return typeof target === 'string' && maskTarget(target) !== target;
}

/** The target without any credential: no userinfo, no secret parameters. */
export function withoutCredentials(target: string): string {
  const parts = splitTarget(target);
  if (!parts) return target.replace(DSN_PASSWORD, '').replace(/\s{2,}/g, ' ').trim();
  const params = parts.params && parts.params.filter((p) => !sensitiveParam(p, parts.scheme));
  return joinTarget({ ...parts, userinfo: null, params: params && params.length > 0 ? params : null });
}

/** Why `***` in a written target could not be resolved. */
export class MaskWithoutSecretError extends Error {}

/**
 * What to store when a caller writes `incoming` over `stored`: `***` stands for the stored value in its
 * place (the whole target, the password, a masked user name, a parameter); credentials the incoming
 * target leaves out are kept from the stored one, unless `clear` (then only what `incoming` itself
 * carries is stored). Throws MaskWithoutSecretError when `***` stands for something nothing stored has.
 */
export function keepStoredSecrets(incoming: string, stored: string | null | undefined, clear = false): string {
  const kept = clear || !stored ? null : stored;
  if (incoming === MASK) {
    if (!stored) throw new MaskWithoutSecretError('is *** but nothing is stored to keep: send the value itself');
    return clear ? withoutCredentials(stored) : stored;
  }
  const next = splitTarget(incoming);
  if (!next) {
    if (/=\s*\*\*\*/.test(incoming)) throw new MaskWithoutSecretError('has *** in a text that is not a URL: send the value itself');
    return incoming;
  }
  const old = kept ? splitTarget(kept) : null;
  let userinfo = next.userinfo;
  if (userinfo === null) {
    userinfo = old?.userinfo ?? null;
  } else if (userinfo === MASK) {
    if (old?.userinfo == null) throw new MaskWithoutSecretError('has *** for a user name or token, but none is stored: send the value itself');
    userinfo = old.userinfo;
  } else if (userinfo.endsWith(`:${MASK}`)) {
    const storedPassword = old?.userinfo?.includes(':') ? old.userinfo.slice(old.userinfo.indexOf(':') + 1) : null;
    if (!storedPassword) throw new MaskWithoutSecretError('has *** for a password, but none is stored: send the password itself');
    userinfo = `${userinfo.slice(0, -MASK.length)}${storedPassword}`;
  }
  let params = next.params;
  if (params) {
    params = params.map((p) => {
      if (paramValue(p) !== MASK) return p;
      const name = paramName(p);
      const storedParam = old?.params?.find((q) => paramName(q) === name);
      if (storedParam === undefined) throw new MaskWithoutSecretError(`has *** for the parameter ${name}, but none is stored: send the value itself`);
      return storedParam;
    });
  }
  const keptParams = (old?.params ?? []).filter((q) => sensitiveParam(q, old!.scheme) && !(params ?? []).some((p) => paramName(p) === paramName(q)));
  if (keptParams.length > 0) params = [...(params ?? []), ...keptParams];
  return joinTarget({ ...next, userinfo, params });
}

/**
 * The literal secret strings of a target (passwords raw and decoded, a lone user name, secret parameter
 * values, the Basic auth token an HTTP client sends), for scrubbing text that may echo them.
 */
export function secretsOfTarget(target: string | null | undefined): string[] {
  if (!target) return [];
  const secrets: string[] = [];
  const parts = splitTarget(target);
  if (!parts) {
    for (const match of target.matchAll(DSN_PASSWORD)) secrets.push(match[3]!.replace(/^['"]|['"]$/g, ''));
    return secrets;
  }
  if (parts.userinfo) {
    const colon = parts.userinfo.indexOf(':');
    const password = colon < 0 ? parts.userinfo : parts.userinfo.slice(colon + 1);
    if (password) secrets.push(password, decodeSafe(password));
    if (colon >= 0 && password) {
      const user = decodeSafe(parts.userinfo.slice(0, colon));
      secrets.push(Buffer.from(`${user}:${decodeSafe(password)}`).toString('base64'));
    }
  }
  for (const param of parts.params ?? []) {
    if (sensitiveParam(param, parts.scheme)) secrets.push(paramValue(param), decodeSafe(paramValue(param)));
  }
  return secrets;
}

// ---------------------------------------------------------------------------
// Free text: errors, recovery messages, log lines
// ---------------------------------------------------------------------------

/** `scheme://userinfo@` anywhere in text (userinfo up to the last `@` before a space, quote or `/`). */
const URL_USERINFO_IN_TEXT = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/?#'"<>]*)@/g;
/** `?token=...` / `&password=...` query parameters anywhere in text. */
const SECRET_QUERY_IN_TEXT = /([?&;])([^=&\s?#'"]+)=([^&\s#'"]*)/g;
/** An absolute path of at least two segments, at the start of text or after a space, quote, bracket, `=` or `:`. */
const LOCAL_PATH_IN_TEXT = /(^|[\s'"`(=,:[])(~?\/(?:[\w.@+~-]+\/)+[\w.@+~-]*)/g;

/** Shortest literal secret that is replaced wherever it appears (shorter ones would mangle ordinary words). */
const MIN_LITERAL_SECRET = 4;

export interface ScrubOptions {
  /** Literal secrets to replace wherever they appear (key paths, passwords of the service's own target). */
  secrets?: readonly (string | null | undefined)[];
  /** Also replace absolute file paths by `<path>` (check errors: they must not name files of the monitor). */
  paths?: boolean;
  /**
   * Replace only paths that look like key material (`.ssh/`, `id_rsa`, `*.pem`, `*.key`, a `keys/` or `secrets/`
   * folder...) by `<path>`: for text whose other paths mean something (a monitored host's command output).
   */
  keyPaths?: boolean;
}

const KEY_MATERIAL_PATH = /\.ssh\/|\/(?:keys?|secrets?|private|certs?|ssl|tls)\/|\bid_(?:rsa|dsa|ecdsa|ed25519)|\.(?:pem|key|p12|pfx|ppk)$|secret|passw|token|credential/i;

/**
 * Free text with every credential-shaped part masked: URL userinfo, secret query parameters,
 * `password=` pairs, JSON secret fields, the given literal secrets and (optionally) file paths.
 */
export function scrubText(text: string, options?: ScrubOptions): string;
export function scrubText(text: string | null | undefined, options?: ScrubOptions): string | null;
export function scrubText(text: string | null | undefined, options: ScrubOptions = {}): string | null {
  if (text === null || text === undefined) return null;
  let out = text;
  const literals = [...new Set((options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= MIN_LITERAL_SECRET))];
  literals.sort((a, b) => b.length - a.length);
  for (const secret of literals) out = out.split(secret).join(MASK);
  out = out.replace(URL_USERINFO_IN_TEXT, (_m, scheme: string, userinfo: string) => `${scheme}${maskUserinfo(userinfo)}@`);
  out = out.replace(SECRET_QUERY_IN_TEXT, (m, sep: string, name: string, value: string) => (value && secretParam(name) ? `${sep}${name}=${MASK}` : m));
  out = out.replace(SECRET_PAIR_IN_TEXT, (_m, key: string, eq: string) => `${key}${eq}${MASK}`);
  out = out.replace(JSON_SECRET, (_m, key: string) => `${key}"${MASK}"`);
  if (options.paths) out = out.replace(LOCAL_PATH_IN_TEXT, (_m, before: string) => `${before}<path>`);
  else if (options.keyPaths) out = out.replace(LOCAL_PATH_IN_TEXT, (m, before: string, path: string) => (KEY_MATERIAL_PATH.test(path) ? `${before}<path>` : m));
  return out;
}

/** Field names whose values are secrets whatever they hold (log fields, audit variables). */
const SECRET_FIELD = /^(?:key|.*?(?:password|passwd|pwd|secret|token|authorization|api_?key|private_?key|ssh_?key|key_?path|key_?file|identity_?file|passphrase|credentials?))$/i;
/** Field names holding a check target: masked as targets. */
const TARGET_FIELD = /^(?:target|endpoint|uri|url|connection_?string|dsn)$/i;

/**
 * A copy of a structured value (log fields, mutation variables) fit to record: secret-named fields
 * read `***`, target-like fields are masked as targets, every other string is scrubbed.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Date) return value;
  if (value instanceof Error) return scrubText(value.stack ?? value.message);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_FIELD.test(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean') out[key] = MASK;
    else if (TARGET_FIELD.test(key) && typeof inner === 'string') out[key] = scrubText(maskTarget(inner));
    else out[key] = redactValue(inner, depth + 1);
  }
  return out;
}
