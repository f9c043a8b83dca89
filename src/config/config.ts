/**
 * The one place that reads the environment. Every setting is declared once in
 * `settings` (name, default, meaning, parser) so validation, the typed Config
 * and the README's configuration table cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotEnv } from 'dotenv';

export type EmbeddedDatabaseEngine = 'auto' | 'mongodb-memory-server' | 'mongo-java-server' | 'ferretdb';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

interface Setting<T, D extends string | undefined = string | undefined> {
  readonly env: string;
  readonly default: D;
  readonly description: string;
  readonly parse: (raw: string) => T;
}

class SettingError extends Error {}

const integer =
  (min: number, max: number) =>
  (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new SettingError(`must be a whole number, got '${raw}'`);
    const value = Number(raw);
    if (value < min || value > max) throw new SettingError(`must be between ${min} and ${max}, got ${value}`);
    return value;
  };

const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string): T => {
    if (!(values as string[]).includes(raw)) throw new SettingError(`must be one of ${values.join(', ')}, got '${raw}'`);
    return raw as T;
  };

const boolean = (raw: string): boolean => {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new SettingError(`must be true or false, got '${raw}'`);
};

const text = (raw: string): string => {
  if (raw.trim() === '') throw new SettingError('must not be empty');
  return raw;
};

const publicUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingError(`must be an http(s) URL such as https://monitor.example.com, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SettingError(`must be an http(s) URL such as https://monitor.example.com, got '${raw}'`);
  return raw.replace(/\/+$/, '');
};

const mongoUri = (raw: string): string => {
  if (!/^mongodb(\+srv)?:\/\/\S+$/.test(raw)) throw new SettingError(`must start with mongodb:// or mongodb+srv://`);
  return raw;
};

const redisUrl = (raw: string): string => {
  if (!/^rediss?:\/\/\S+$/.test(raw)) throw new SettingError('must start with redis:// or rediss://');
  return raw;
};

const databaseName = (raw: string): string => {
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(raw)) throw new SettingError(`must be 1-63 letters, digits, '_' or '-', got '${raw}'`);
  return raw;
};

function setting<T, D extends string | undefined>(env: string, defaultValue: D, description: string, parse: (raw: string) => T): Setting<T, D> {
  return { env, default: defaultValue, description, parse };
}

const optionalFile = (raw: string): string => {
  if (!raw.startsWith('/') && !raw.startsWith('./') && !raw.startsWith('~')) throw new SettingError(`must be a file path, got '${raw}'`);
  return raw.replace(/^~(?=\/)/, process.env.HOME ?? '~');
};

export type ProcessMode = 'all' | 'api' | 'worker';

export const settings = {
  processMode: setting(
    'PROCESS_MODE',
    'all',
    'all: API and checks; api: API only (on-demand checks still run); worker: checks only, no HTTP.',
    oneOf<ProcessMode>('all', 'api', 'worker'),
  ),
  port: setting('PORT', '4000', 'HTTP port of the API (/graphql, /healthz, /readyz).', integer(0, 65535)),
  publicUrl: setting('PUBLIC_URL', undefined, 'The address jobs and people reach this server at (behind a proxy), for the heartbeat ping URLs it hands out; unset: the address the request came to.', publicUrl),
  graphqlMaxDepth: setting('GRAPHQL_MAX_DEPTH', '10', 'Deepest selection a GraphQL operation may nest.', integer(2, 100)),
  graphqlMaxComplexity: setting(
    'GRAPHQL_MAX_COMPLEXITY',
    '20000',
    'Most work one GraphQL operation may ask for (each field and alias 1, lists times their page size, reads over every service at their price; fragments counted at each use).',
    integer(100, 10_000_000),
  ),
  graphqlMaxAliases: setting('GRAPHQL_MAX_ALIASES', '30', 'Most aliases one GraphQL operation may use (a fragment’s at each use).', integer(1, 10_000)),
  graphqlMaxDocumentChars: setting('GRAPHQL_MAX_DOCUMENT_CHARS', '100000', 'Longest GraphQL document (the operation text; variables apart) in characters; a longer one is refused before it is parsed.', integer(1_000, 10_000_000)),
  graphqlMaxTokens: setting('GRAPHQL_MAX_TOKENS', '2000', 'Most tokens (names, punctuation, values) in one GraphQL document; parsing stops past it.', integer(100, 1_000_000)),
  graphqlMaxDirectives: setting('GRAPHQL_MAX_DIRECTIVES', '50', 'Most directives one GraphQL operation may use (a fragment’s at each use).', integer(1, 10_000)),
  graphqlTimeoutMs: setting(
    'GRAPHQL_TIMEOUT_MS',
    '10000',
    'Longest one GraphQL operation (over the socket: one event’s execution) may run; fields not resolved by then fail with OPERATION_TIMEOUT.',
    integer(100, 600_000),
  ),
  graphqlIntrospection: setting('GRAPHQL_INTROSPECTION', 'true', 'Whether any key may introspect the schema (`__schema`, `__type`), as GraphiQL and codegen do.', boolean),
  graphqlIde: setting('GRAPHQL_IDE', 'true', 'Whether `GET /graphql` from a browser serves the GraphQL IDE (GraphiQL, self-hosted: works offline, no telemetry); also in production.', boolean),
  rateLimitPerSec: setting(
    'RATE_LIMIT_PER_SEC',
    '50',
    'GraphQL operations (HTTP requests and subscriptions) one API key may start per second, per API process; past it HTTP 429 with Retry-After, RATE_LIMITED on the socket.',
    integer(1, 1_000_000),
  ),
  rateLimitConcurrent: setting(
    'RATE_LIMIT_CONCURRENT',
    '10',
    'GraphQL operations of one API key that may run at once, per API process; past it HTTP 429 with Retry-After, RATE_LIMITED on the socket.',
    integer(1, 100_000),
  ),
  shutdownTimeoutMs: setting('SHUTDOWN_TIMEOUT_MS', '10000', 'How long shutdown waits for in-flight requests.', integer(0, 600_000)),
  mongodbUri: setting('MONGODB_URI', undefined, 'MongoDB connection string. Unset: start the embedded database.', mongoUri),
  mongodbDatabase: setting('MONGODB_DATABASE', 'service_monitor', 'Database name.', databaseName),
  mongodbMaxPoolSize: setting('MONGODB_MAX_POOL_SIZE', '50', 'Most connections in the driver pool.', integer(1, 1000)),
  mongodbMinPoolSize: setting('MONGODB_MIN_POOL_SIZE', '0', 'Connections the pool keeps open when idle.', integer(0, 1000)),
  mongodbMaxIdleTimeMs: setting('MONGODB_MAX_IDLE_TIME_MS', '45000', 'Idle time after which a pooled connection closes.', integer(0, 3_600_000)),
  dbSlowCommandMs: setting('DB_SLOW_COMMAND_MS', '1000', 'A database command that takes this long or longer is logged (WARN, at most 20 lines a minute) with its name, collection and duration.', integer(1, 3_600_000)),
  mongodbConnectTimeoutMs: setting(
    'MONGODB_CONNECT_TIMEOUT_MS',
    '10000',
    'How long start-up waits for the database before giving up.',
    integer(100, 600_000),
  ),
  embeddedDatabase: setting(
    'EMBEDDED_DB',
    'auto',
    'Embedded database when MONGODB_URI is unset: auto (mongodb-memory-server, else mongo-java-server), or one of mongodb-memory-server, mongo-java-server, ferretdb.',
    oneOf<EmbeddedDatabaseEngine>('auto', 'mongodb-memory-server', 'mongo-java-server', 'ferretdb'),
  ),
  embeddedDatabasePort: setting(
    'EMBEDDED_DB_PORT',
    '27027',
    'Loopback port of the embedded database; a second process (the migration CLI) finds it running there.',
    integer(1024, 65535),
  ),
  embeddedDatabaseRestarts: setting(
    'EMBEDDED_DB_RESTARTS',
    '5',
    'Times the embedded database is restarted (same port and folder) after its process dies, before the server gives up and exits 69.',
    integer(0, 100),
  ),
  embeddedDatabaseRestartBackoffMs: setting(
    'EMBEDDED_DB_RESTART_BACKOFF_MS',
    '1000',
    'Pause before the first restart of a dead embedded database; doubled after each failed one (at most 10 s).',
    integer(50, 60_000),
  ),
  dataDir: setting('DATA_DIR', './.data', 'Where the embedded database keeps its files between runs.', text),
  historyRetentionDays: setting('HISTORY_RETENTION_DAYS', '30', 'Days a check result is kept (expires_at = timestamp + this).', integer(1, 3650)),
  auditRetentionDays: setting('AUDIT_RETENTION_DAYS', '365', 'Days an audit log record is kept (expires_at = its time + this).', integer(1, 36_500)),
  alertFailureThreshold: setting('ALERT_FAILURE_THRESHOLD', '3', 'Failed checks in a row that open an incident, unless the service (alerting.failure_threshold) or its environment says otherwise.', integer(1, 1000)),
  alertSuccessThreshold: setting('ALERT_SUCCESS_THRESHOLD', '2', 'Successful checks in a row that resolve an incident, unless the service or its environment says otherwise.', integer(1, 1000)),
  alertGroupWaitSec: setting('ALERT_GROUP_WAIT_SEC', '2', 'A new incident waits this long for others on its host, so they go out as one notification.', integer(0, 600)),
  alertGroupIntervalSec: setting('ALERT_GROUP_INTERVAL_SEC', '60', 'After a host’s notification went out, its further incidents wait until this long after it and go out together as one update (0: as they come).', integer(0, 3600)),
  alertHostCorrelation: setting('ALERT_HOST_CORRELATION', 'true', 'When an incident opens on a host, the host’s other services that are failing too (a failed check or more) open theirs with it: a host outage is one notification at once, not one per check interval.', boolean),
  alertSweepSec: setting('ALERT_SWEEP_SEC', '15', 'How often open incidents held back (muted, maintenance, dependency down) are looked at again, to notify them when the reason ends.', integer(1, 3600)),
  flapThreshold: setting('FLAP_THRESHOLD', '4', 'A service that opens this many incidents within FLAP_WINDOW_SEC is flapping: one notification says so, the rest stay quiet until it is stable.', integer(2, 1000)),
  flapWindowSec: setting('FLAP_WINDOW_SEC', '3600', 'The window FLAP_THRESHOLD counts incidents in.', integer(60, 7 * 86_400)),
  recoveryApprovalTtlSec: setting('RECOVERY_APPROVAL_TTL_SEC', '1800', 'In an environment with approval_required, how long an automatic recovery waits for approveRecovery before it lapses (the next failed check asks again).', integer(60, 7 * 86_400)),
  incidentRetentionDays: setting('INCIDENT_RETENTION_DAYS', '90', 'Days a resolved incident is kept.', integer(1, 36_500)),
  notificationRetentionDays: setting('NOTIFICATION_RETENTION_DAYS', '30', 'Days a sent or failed notification (the outbox entry) is kept.', integer(1, 36_500)),
  notifyTimeoutMs: setting('NOTIFY_TIMEOUT_MS', '10000', 'One delivery attempt to a notification channel at most this long.', integer(100, 600_000)),
  notifyMaxAttempts: setting('NOTIFY_MAX_ATTEMPTS', '12', 'Delivery attempts (exponential backoff from 1 s to 10 min, or as Retry-After says) before a notification is marked failed.', integer(1, 100)),
  retentionSweepIntervalSec: setting(
    'RETENTION_SWEEP_INTERVAL_SEC',
    '300',
    'How often expired documents (every collection with a TTL index: history, uptime rollups, audit log) are deleted where the server has no TTL monitor.',
    integer(10, 86_400),
  ),
  retentionSweepBatchSize: setting(
    'RETENTION_SWEEP_BATCH_SIZE',
    '1000',
    'Most expired documents one delete of the retention sweep removes; it repeats until none are left.',
    integer(1, 100_000),
  ),
  staleAfterIntervals: setting(
    'STALE_AFTER_INTERVALS',
    '3',
    "A service is stale when not checked within this many of its own check intervals.",
    integer(2, 100),
  ),
  attentionScanSec: setting(
    'ATTENTION_SCAN_SEC',
    '30',
    'How old the background read of every service behind servicesNeedingAttention.misconfigured may be; a fix shows at once, a document another tool broke within this. 0: read every service on each request.',
    integer(0, 3600),
  ),
  dashboardSummaryMaxAgeMs: setting(
    'DASHBOARD_SUMMARY_MAX_AGE_MS',
    '1000',
    'How old a dashboardSummary handed out may be: callers within this share one computation (a change heard by this process starts a new one). 0: computed for each request.',
    integer(0, 60_000),
  ),
  highFailureThreshold: setting(
    'HIGH_FAILURE_THRESHOLD',
    '3',
    'Consecutive failed checks after which a service needs attention.',
    integer(1, 1000),
  ),
  checkConcurrency: setting('CHECK_CONCURRENCY', '200', 'Checks one process runs at once.', integer(1, 10_000)),
  httpMaxRedirects: setting('HTTP_MAX_REDIRECTS', '5', 'Redirects an HTTP check follows to its final answer (0: none; a status in a service\'s expectedStatus is never followed).', integer(0, 20)),
  checkLeaseSec: setting(
    'CHECK_LEASE_SEC',
    '120',
    'How long a worker holds a claimed service; a crashed worker’s services are checked again after it.',
    integer(5, 3600),
  ),
  dispatchSlots: setting('DISPATCH_SLOTS', '4', 'Recurring Agenda dispatch jobs shared by all workers.', integer(1, 64)),
  schedulerStallSec: setting(
    'SCHEDULER_STALL_SEC',
    '30',
    'A process that runs checks and has dispatched none for this long (while no other process serves the dispatch slots) is stalled: the watchdog repairs its Agenda jobs and processing, and /readyz answers 503.',
    integer(5, 3600),
  ),
  sshPrivateKeyFile: setting('SSH_PRIVATE_KEY_FILE', undefined, 'Default private key for hosts without ssh_config.key_path.', optionalFile),
  sshKnownHostsFile: setting(
    'SSH_KNOWN_HOSTS_FILE',
    '~/.ssh/known_hosts',
    'Trusted host keys for hosts without a pinned fingerprint; an unknown key is refused.',
    optionalFile,
  ),
  sshConnectTimeoutMs: setting('SSH_CONNECT_TIMEOUT_MS', '10000', 'SSH handshake timeout.', integer(100, 600_000)),
  customCommandsFile: setting(
    'CUSTOM_COMMANDS_FILE',
    undefined,
    'JSON object of allow-listed commands by name, for custom checks and custom_script recovery.',
    optionalFile,
  ),
  recoveryRecheckDelayMs: setting('RECOVERY_RECHECK_DELAY_MS', '5000', 'Wait after a recovery action before checking again.', integer(0, 600_000)),
  redisUrl: setting(
    'REDIS_URL',
    undefined,
    'Redis for live events across processes (workers to API processes); unset keeps them in this process.',
    redisUrl,
  ),
  liveKeepAliveSec: setting('LIVE_KEEPALIVE_SEC', '30', 'Ping interval of live (WebSocket) connections; one that misses a pong is dropped.', integer(1, 3600)),
  liveMaxQueuedEvents: setting(
    'LIVE_MAX_QUEUED_EVENTS',
    '1000',
    'Events one live connection may have waiting; a client slower than that is disconnected (4413).',
    integer(10, 1_000_000),
  ),
  liveReplayLimit: setting('LIVE_REPLAY_LIMIT', '1000', 'Most events replayed to a subscription that asks for what it missed (`since`).', integer(1, 100_000)),
  adminKeyFile: setting(
    'ADMIN_KEY_FILE',
    undefined,
    'File the first admin key (created when no key exists) is written to, mode 0600, instead of being printed on stdout.',
    optionalFile,
  ),
  logLevel: setting('LOG_LEVEL', 'info', 'debug, info, warn or error (any case).', (raw) => oneOf<LogLevel>('debug', 'info', 'warn', 'error')(raw.trim().toLowerCase())),
  metricsToken: setting('METRICS_TOKEN', undefined, 'Bearer token `/metrics` asks for; unset: `/metrics` answers 404 unless METRICS_PORT is set.', text),
  metricsPort: setting('METRICS_PORT', undefined, 'Serve `/metrics` (no token) on this port of METRICS_HOST instead, apart from the API.', integer(1, 65535)),
  metricsHost: setting('METRICS_HOST', '127.0.0.1', 'Address the METRICS_PORT listener binds.', text),
  metricsPerService: setting('METRICS_PER_SERVICE', 'false', 'Also export one series per service (up, response time, TLS days left, consecutive failures): one per service and metric, so mind the cardinality.', boolean),
  defaultCheckInterval: setting('DEFAULT_CHECK_INTERVAL', '60', 'Seconds between checks of a service created without `monitoring.interval_sec` (the seed’s variable).', integer(5, 86_400)),
  maxRecoveryAttempts: setting('MAX_RECOVERY_ATTEMPTS', '3', 'Recovery attempts of a service created without `recovery.max_recovery_attempts` (the seed’s variable).', integer(0, 100)),
} as const;

type Settings = typeof settings;
type Parsed<S> = S extends Setting<infer T, infer D> ? (D extends string ? T : T | undefined) : never;
export type Config = { readonly [K in keyof Settings]: Parsed<Settings[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads every setting, collecting all problems so one start-up shows them all. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[spec.env] === undefined || env[spec.env] === '' ? spec.default : env[spec.env];
    if (raw === undefined) continue;
    try {
      config[key] = spec.parse(raw);
    } catch (error) {
      if (!(error instanceof SettingError)) throw error;
      problems.push(`${spec.env} ${error.message}`);
    }
  }
  const parsed = config as Config;
  if (parsed.mongodbMinPoolSize !== undefined && parsed.mongodbMaxPoolSize !== undefined && parsed.mongodbMinPoolSize > parsed.mongodbMaxPoolSize) {
    problems.push('MONGODB_MIN_POOL_SIZE must not exceed MONGODB_MAX_POOL_SIZE');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed;
}

/**
 * Reads `.env` in `directory` into `env`, as the seed's deployments keep their settings, without replacing a
 * variable `env` already has: what the operator sets when starting the process wins over a file in its folder.
 * dotenv's parser rather than `process.loadEnvFile`: the same dotenv version parses a file the same way on every
 * Node version (the built-in one is experimental in Node 20 and its rules changed between releases), and parsing
 * apart from assigning tells which names came from the file. Returns those names, or null when there is no file.
 */
export function loadDotEnv(directory = process.cwd(), env: NodeJS.ProcessEnv = process.env): DotEnvRead | null {
  const file = join(directory, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError([`${file} could not be read: ${(error as Error).message}`]);
  }
  const read: DotEnvRead = { file, set: [], kept: [] };
  for (const [name, value] of Object.entries(parseDotEnv(text))) {
    if (env[name] === undefined) {
      env[name] = value;
      read.set.push(name);
    } else {
      read.kept.push(name);
    }
  }
  return read;
}

export interface DotEnvRead {
  readonly file: string;
  /** Names the file set. */
  readonly set: string[];
  /** Names the file has that the environment had already: the environment's value was kept. */
  readonly kept: string[];
}

export interface UnknownSetting {
  readonly variable: string;
  /** The setting it was probably meant to be. */
  readonly suggestion?: string;
  /** One line for the log: `unknown setting MONGODB_URL (did you mean MONGODB_URI?)`. */
  readonly message: string;
}

/** Names other programs read that look like ours: their prefix, or close in spelling. */
const FOREIGN_VARIABLES = [
  /^NODE_/,
  /^NPM_/,
  // OpenTelemetry's SDK reads its standard variables itself.
  /^OTEL_/,
  /^MONGOMS_/,
  // Kubernetes and Docker links describe every service in reach: REDIS_SERVICE_HOST, MONGODB_PORT_27017_TCP_ADDR...
  /_SERVICE_(HOST|PORT)(_\w+)?$/,
  /_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/,
];

/** Prefixes of our settings that are too common a word to call another program's variable a typo of ours (DEFAULT_USER, SSH_AUTH_SOCK, DB_HOST). */
const COMMON_PREFIXES = new Set(['DATA', 'DEFAULT', 'MAX', 'HIGH', 'CUSTOM', 'SSH', 'DB', 'ADMIN', 'PROCESS', 'RATE', 'PORT']);

const CREDENTIALS_IN_URI = { hint: 'not read: the user name and password go in MONGODB_URI, before the host' };

/** Names people reach for from other tools and guides, and what this server reads instead. */
const MISTAKEN_NAMES: Readonly<Record<string, { suggestion?: string; hint: string }>> = {
  MONGO_URL: { suggestion: 'MONGODB_URI', hint: 'did you mean MONGODB_URI?' },
  MONGO_URI: { suggestion: 'MONGODB_URI', hint: 'did you mean MONGODB_URI?' },
  MONGODB_USER: CREDENTIALS_IN_URI,
  MONGODB_USERNAME: CREDENTIALS_IN_URI,
  MONGODB_PASSWORD: CREDENTIALS_IN_URI,
};

/**
 * Variables in `env` that look meant for this server but are no setting of it: a mistyped name is otherwise
 * silently ignored and its default used. Looks like ours: one of our settings' prefixes (GRAPHQL_, MONGODB_,
 * ALERT_...), a name a letter or two from one of ours (in any case), or a known wrong name (MONGO_URL).
 */
export function unknownSettings(env: NodeJS.ProcessEnv): UnknownSetting[] {
  const known = new Set(Object.values(settings).map((s) => s.env));
  const prefixes = new Set([...known].map(prefixOf).filter((prefix) => prefix !== null && !COMMON_PREFIXES.has(prefix)));
  const found: UnknownSetting[] = [];
  for (const variable of Object.keys(env).sort()) {
    const name = variable.toUpperCase();
    if (known.has(variable) || isForeign(name, env[variable] ?? '')) continue;
    const mistaken = MISTAKEN_NAMES[name];
    if (mistaken) {
      found.push({ variable, suggestion: mistaken.suggestion, message: `unknown setting ${variable} (${mistaken.hint})` });
      continue;
    }
    const nearest = nearestName(name, known);
    const close = nearest !== null && nearest.distance <= Math.max(1, Math.floor(name.length / 5));
    if (!close && !prefixes.has(prefixOf(name) ?? '')) continue;
    found.push(
      close
        ? { variable, suggestion: nearest.name, message: `unknown setting ${variable} (did you mean ${nearest.name}?)` }
        : { variable, message: `unknown setting ${variable} (no setting has that name; --help lists them)` },
    );
  }
  return found;
}

function isForeign(name: string, value: string): boolean {
  // A Kubernetes or Docker link's address, e.g. REDIS_PORT=tcp://10.0.0.11:6379.
  if (name.endsWith('_PORT') && /^(tcp|udp|sctp):\/\//.test(value)) return true;
  return FOREIGN_VARIABLES.some((pattern) => pattern.test(name));
}

const prefixOf = (name: string): string | null => (name.includes('_') ? name.slice(0, name.indexOf('_')) : null);

function nearestName(name: string, names: Iterable<string>): { name: string; distance: number } | null {
  let nearest: { name: string; distance: number } | null = null;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (!nearest || distance < nearest.distance) nearest = { name: candidate, distance };
  }
  return nearest;
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`: LIVE_KEEP_ALIVE_SEC is 1 from LIVE_KEEPALIVE_SEC. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const replace = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + replace);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** Every setting with its default, one a line, for `--help`; their meanings are in README.md, "Configuration". */
export function settingsHelp(): string {
  const width = Math.max(...Object.values(settings).map((s) => s.env.length));
  return Object.values(settings)
    .map((s: Setting<unknown>) => `  ${s.env.padEnd(width)}  ${s.default === undefined ? '(unset)' : s.default}`)
    .join('\n');
}
