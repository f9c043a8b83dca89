/**
 * Where settings come from besides the environment (.env), and the variables that look like settings but
 * are none (a typo leaves the default in force without a word otherwise).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, editDistance, loadDotEnv, settings, settingsHelp, unknownSettings } from '../../src/config/config.js';

const messages = (env: NodeJS.ProcessEnv) => unknownSettings(env).map((unknown) => unknown.message);

describe('unknown settings', () => {
  test('a misspelt setting is named with the setting it was probably meant to be', () => {
    expect(unknownSettings({ MONGODB_URL: 'mongodb://db/' })).toEqual([
      { variable: 'MONGODB_URL', suggestion: 'MONGODB_URI', message: 'unknown setting MONGODB_URL (did you mean MONGODB_URI?)' },
    ]);
    expect(messages({ LIVE_KEEP_ALIVE_SEC: '10', HIGH_FAILURE_TRESHOLD: '5', DEFAULT_CHECK_INTERVALS: '30', LOGLEVEL: 'debug', port: '5000' })).toEqual([
      'unknown setting DEFAULT_CHECK_INTERVALS (did you mean DEFAULT_CHECK_INTERVAL?)',
      'unknown setting HIGH_FAILURE_TRESHOLD (did you mean HIGH_FAILURE_THRESHOLD?)',
      'unknown setting LIVE_KEEP_ALIVE_SEC (did you mean LIVE_KEEPALIVE_SEC?)',
      'unknown setting LOGLEVEL (did you mean LOG_LEVEL?)',
      'unknown setting port (did you mean PORT?)',
    ]);
  });

  test('a name with one of our prefixes that is nothing like a setting is named too, pointing at --help', () => {
    expect(messages({ GRAPHQL_PLAYGROUND: 'true', METRICS_PATH: '/m', ALERT_EMAIL_TO: 'ops@example.com', EMBEDDED_DATABASE_VERSION: '7' })).toEqual([
      'unknown setting ALERT_EMAIL_TO (no setting has that name; --help lists them)',
      'unknown setting EMBEDDED_DATABASE_VERSION (no setting has that name; --help lists them)',
      'unknown setting GRAPHQL_PLAYGROUND (no setting has that name; --help lists them)',
      'unknown setting METRICS_PATH (no setting has that name; --help lists them)',
    ]);
  });

  test('names from other tools and guides get what this server reads instead', () => {
    expect(unknownSettings({ MONGO_URL: 'mongodb://db/' })[0]).toMatchObject({ suggestion: 'MONGODB_URI', message: 'unknown setting MONGO_URL (did you mean MONGODB_URI?)' });
    // The seed's example .env has these; the credentials belong in the URI.
    expect(messages({ MONGODB_USER: 'monitor', MONGODB_PASSWORD: 'x' })).toEqual([
      'unknown setting MONGODB_PASSWORD (not read: the user name and password go in MONGODB_URI, before the host)',
      'unknown setting MONGODB_USER (not read: the user name and password go in MONGODB_URI, before the host)',
    ]);
  });

  test('every setting of ours, and the variables of other programs, are left alone', () => {
    const ours = Object.fromEntries(Object.values(settings).map((s) => [s.env, s.default ?? 'x']));
    const others = {
      PATH: '/usr/bin',
      HOME: '/root',
      HOSTNAME: 'box',
      PWD: '/app',
      TERM: 'xterm',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      CI: 'true',
      NODE_ENV: 'production',
      NODE_OPTIONS: '--max-old-space-size=512',
      NODE_VERSION: '20.19.0',
      npm_config_cache: '/tmp/npm',
      npm_lifecycle_event: 'start',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'service-monitor',
      MONGOMS_DOWNLOAD_DIR: '/cache',
      MONGOMS_VERSION: '7.0.14',
      SSH_AUTH_SOCK: '/tmp/agent',
      SSH_CONNECTION: '10.0.0.1 22 10.0.0.2 5555',
      DEFAULT_USER: 'me',
      DB_HOST: 'db',
      DATA_PATH: '/data',
      ADMIN_EMAIL: 'ops@example.com',
      XDG_DATA_DIRS: '/usr/share',
      HISTSIZE: '1000',
      LOGNAME: 'root',
      JAVA_HOME: '/usr/lib/jvm',
      ALERTMANAGER_URL: 'http://am:9093',
      // Kubernetes and Docker links to services named redis and mongodb.
      REDIS_SERVICE_HOST: '10.0.0.11',
      REDIS_SERVICE_PORT: '6379',
      REDIS_PORT: 'tcp://10.0.0.11:6379',
      REDIS_PORT_6379_TCP_ADDR: '10.0.0.11',
      MONGODB_SERVICE_PORT_MONGO: '27017',
      MONGODB_PORT_27017_TCP: 'tcp://10.0.0.12:27017',
    };
    expect(unknownSettings({ ...ours, ...others })).toEqual([]);
  });

  test('edit distance counts a swap of two neighbours as one edit', () => {
    expect(editDistance('MONGODB_URI', 'MONGODB_URI')).toBe(0);
    expect(editDistance('PROT', 'PORT')).toBe(1);
    expect(editDistance('LIVE_KEEP_ALIVE_SEC', 'LIVE_KEEPALIVE_SEC')).toBe(1);
    expect(editDistance('MONGO_URI', 'MONGODB_URI')).toBe(2);
    expect(editDistance('', 'PORT')).toBe(4);
  });
});

describe('.env', () => {
  let directory: string;
  afterEach(() => rmSync(directory, { recursive: true, force: true }));
  const folderWith = (text: string | null) => {
    directory = mkdtempSync(join(tmpdir(), 'service-monitor-dotenv-'));
    if (text !== null) writeFileSync(join(directory, '.env'), text);
    return directory;
  };

  test('sets what the environment does not have and keeps what it has', () => {
    const env: NodeJS.ProcessEnv = { PORT: '4100', LOG_LEVEL: '' };
    const folder = folderWith('# the seed’s settings\nPORT=5000\nDEFAULT_CHECK_INTERVAL=45\nexport MAX_RECOVERY_ATTEMPTS=5\nMONGODB_URI="mongodb://db:27017/"\nLOG_LEVEL=debug\n');
    expect(loadDotEnv(folder, env)).toEqual({ file: join(folder, '.env'), set: ['DEFAULT_CHECK_INTERVAL', 'MAX_RECOVERY_ATTEMPTS', 'MONGODB_URI'], kept: ['PORT', 'LOG_LEVEL'] });
    // Set, even to nothing, is the operator's choice: the file does not fill it in.
    expect(env).toEqual({ PORT: '4100', LOG_LEVEL: '', DEFAULT_CHECK_INTERVAL: '45', MAX_RECOVERY_ATTEMPTS: '5', MONGODB_URI: 'mongodb://db:27017/' });
  });

  test('no file: nothing read, nothing said', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadDotEnv(folderWith(null), env)).toBeNull();
    expect(env).toEqual({});
  });

  test.skipIf(process.getuid?.() === 0)('a file that cannot be read is a configuration problem, in one line', () => {
    const folder = folderWith('PORT=5000\n');
    chmodSync(join(folder, '.env'), 0o000);
    expect(() => loadDotEnv(folder, {})).toThrow(ConfigError);
  });

  test('a folder named .env cannot be read either: one line, the file and why', () => {
    const folder = folderWith(null);
    mkdirSync(join(folder, '.env'));
    let caught: unknown;
    try {
      loadDotEnv(folder, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([expect.stringMatching(/\/\.env could not be read: EISDIR/)]);
  });
});

describe('--help’s list of settings', () => {
  test('names every setting with its default, one a line', () => {
    const lines = settingsHelp().split('\n');
    expect(lines).toHaveLength(Object.keys(settings).length);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}DEFAULT_CHECK_INTERVAL +60$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}MONGODB_URI +\(unset\)$/));
  });
});
