import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, settings } from '../../src/config/config.js';

/** loadConfig fails with a ConfigError; returns its problems. */
function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return (caught as ConfigError).problems;
}

describe('defaults', () => {
  test('an empty environment gives the documented defaults and no MONGODB_URI', () => {
    expect(loadConfig({ HOME: '/home/monitor' })).toEqual({
      processMode: 'all',
      checkConcurrency: 200,
      httpMaxRedirects: 5,
      checkLeaseSec: 120,
      dispatchSlots: 4,
      schedulerStallSec: 30,
      sshKnownHostsFile: expect.stringMatching(/\/\.ssh\/known_hosts$/),
      sshConnectTimeoutMs: 10_000,
      recoveryRecheckDelayMs: 5_000,
      port: 4000,
      graphqlMaxDepth: 10,
      graphqlMaxComplexity: 20_000,
      graphqlMaxAliases: 30,
      graphqlMaxTokens: 2_000,
      graphqlMaxDocumentChars: 100_000,
      graphqlMaxDirectives: 50,
      graphqlTimeoutMs: 10_000,
      graphqlIntrospection: true,
      graphqlIde: true,
      rateLimitPerSec: 50,
      rateLimitConcurrent: 10,
      shutdownTimeoutMs: 10_000,
      mongodbDatabase: 'service_monitor',
      mongodbMaxPoolSize: 50,
      mongodbMinPoolSize: 0,
      mongodbMaxIdleTimeMs: 45_000,
      mongodbConnectTimeoutMs: 10_000,
      dbSlowCommandMs: 1000,
      embeddedDatabase: 'auto',
      embeddedDatabasePort: 27027,
      embeddedDatabaseRestarts: 5,
      embeddedDatabaseRestartBackoffMs: 1000,
      dataDir: './.data',
      historyRetentionDays: 30,
      auditRetentionDays: 365,
      alertFailureThreshold: 3,
      alertSuccessThreshold: 2,
      alertGroupWaitSec: 2,
      alertGroupIntervalSec: 60,
      alertHostCorrelation: true,
      alertSweepSec: 15,
      flapThreshold: 4,
      flapWindowSec: 3600,
      recoveryApprovalTtlSec: 1800,
      incidentRetentionDays: 90,
      notificationRetentionDays: 30,
      notifyTimeoutMs: 10_000,
      notifyMaxAttempts: 12,
      dashboardSummaryMaxAgeMs: 1_000,
      retentionSweepIntervalSec: 300,
      retentionSweepBatchSize: 1000,
      staleAfterIntervals: 3,
      attentionScanSec: 30,
      highFailureThreshold: 3,
      liveKeepAliveSec: 30,
      liveMaxQueuedEvents: 1000,
      liveReplayLimit: 1000,
      logLevel: 'info',
      metricsHost: '127.0.0.1',
      metricsPerService: false,
      defaultCheckInterval: 60,
      maxRecoveryAttempts: 3,
    });
    expect(loadConfig({}).mongodbUri).toBeUndefined();
    expect(loadConfig({}).redisUrl).toBeUndefined();
  });

  test('REDIS_URL must be a redis:// or rediss:// URL', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://cache.internal:6380/0' }).redisUrl).toBe('rediss://cache.internal:6380/0');
    expect(() => loadConfig({ REDIS_URL: 'http://cache.internal' })).toThrow(/REDIS_URL/);
  });

  test('an empty string counts as unset', () => {
    const config = loadConfig({ MONGODB_DATABASE: '', LOG_LEVEL: '', MONGODB_MAX_POOL_SIZE: '' });
    expect(config).toMatchObject({ mongodbDatabase: 'service_monitor', logLevel: 'info', mongodbMaxPoolSize: 50 });
  });

  test('every setting has a description, and every default parses', () => {
    for (const spec of Object.values(settings)) expect(spec.description.length).toBeGreaterThan(0);
    expect(() => loadConfig({})).not.toThrow();
  });
});

describe('values given', () => {
  test('are parsed into their types', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/?retryWrites=true',
      MONGODB_DATABASE: 'monitor-prod_1',
      MONGODB_MAX_POOL_SIZE: '100',
      MONGODB_MIN_POOL_SIZE: '10',
      EMBEDDED_DB: 'ferretdb',
      HISTORY_RETENTION_DAYS: '90',
      STALE_AFTER_INTERVALS: '5',
      HIGH_FAILURE_THRESHOLD: '1',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      mongodbUri: 'mongodb+srv://user:pw@cluster.example.net/?retryWrites=true',
      mongodbDatabase: 'monitor-prod_1',
      mongodbMaxPoolSize: 100,
      mongodbMinPoolSize: 10,
      embeddedDatabase: 'ferretdb',
      historyRetentionDays: 90,
      staleAfterIntervals: 5,
      highFailureThreshold: 1,
      logLevel: 'debug',
    });
  });

  test('the watchdog, embedded-database supervision and retention sweep settings', () => {
    expect(
      loadConfig({ SCHEDULER_STALL_SEC: '5', EMBEDDED_DB_RESTARTS: '0', EMBEDDED_DB_RESTART_BACKOFF_MS: '50', RETENTION_SWEEP_BATCH_SIZE: '100000' }),
    ).toMatchObject({ schedulerStallSec: 5, embeddedDatabaseRestarts: 0, embeddedDatabaseRestartBackoffMs: 50, retentionSweepBatchSize: 100_000 });
  });

  test('the audit log retention and the first admin key file', () => {
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30', ADMIN_KEY_FILE: '/run/secrets/admin-key' })).toMatchObject({ auditRetentionDays: 30, adminKeyFile: '/run/secrets/admin-key' });
    expect(loadConfig({}).adminKeyFile).toBeUndefined();
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '0' })).toThrow(/AUDIT_RETENTION_DAYS/);
  });

  test('the query limit, introspection and per-key rate settings', () => {
    expect(
      loadConfig({
        GRAPHQL_MAX_ALIASES: '5',
        GRAPHQL_MAX_TOKENS: '500',
        GRAPHQL_MAX_DIRECTIVES: '3',
        GRAPHQL_TIMEOUT_MS: '2500',
        GRAPHQL_INTROSPECTION: 'false',
        RATE_LIMIT_PER_SEC: '7',
        RATE_LIMIT_CONCURRENT: '2',
      }),
    ).toMatchObject({
      graphqlMaxAliases: 5,
      graphqlMaxTokens: 500,
      graphqlMaxDirectives: 3,
      graphqlTimeoutMs: 2500,
      graphqlIntrospection: false,
      rateLimitPerSec: 7,
      rateLimitConcurrent: 2,
    });
    expect(problemsOf({ GRAPHQL_INTROSPECTION: 'no', GRAPHQL_MAX_TOKENS: '10' })).toEqual([
      'GRAPHQL_MAX_TOKENS must be between 100 and 1000000, got 10',
      "GRAPHQL_INTROSPECTION must be true or false, got 'no'",
    ]);
  });

  test('a plain mongodb:// URI is accepted', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1:27017/' }).mongodbUri).toBe('mongodb://127.0.0.1:27017/');
  });

  test('range limits are inclusive', () => {
    expect(loadConfig({ STALE_AFTER_INTERVALS: '2', HISTORY_RETENTION_DAYS: '3650', MONGODB_MAX_POOL_SIZE: '1' })).toMatchObject({
      staleAfterIntervals: 2,
      historyRetentionDays: 3650,
      mongodbMaxPoolSize: 1,
    });
  });

  test('min pool equal to max pool is fine', () => {
    expect(loadConfig({ MONGODB_MIN_POOL_SIZE: '5', MONGODB_MAX_POOL_SIZE: '5' })).toMatchObject({ mongodbMinPoolSize: 5, mongodbMaxPoolSize: 5 });
  });
});

describe('bad values', () => {
  test.each([
    ['MONGODB_URI', 'http://localhost:27017'],
    ['MONGODB_URI', 'localhost:27017'],
    ['MONGODB_DATABASE', 'bad name'],
    ['MONGODB_DATABASE', 'a.b'],
    ['MONGODB_MAX_POOL_SIZE', '0'],
    ['MONGODB_MAX_POOL_SIZE', 'fifty'],
    ['MONGODB_MAX_POOL_SIZE', '50.5'],
    ['MONGODB_MAX_POOL_SIZE', '1e3'],
    ['MONGODB_MIN_POOL_SIZE', '-1'],
    ['MONGODB_CONNECT_TIMEOUT_MS', '99'],
    ['EMBEDDED_DB', 'sqlite'],
    ['EMBEDDED_DB_PORT', '80'],
    ['EMBEDDED_DB_PORT', '65536'],
    ['DATA_DIR', '   '],
    ['HISTORY_RETENTION_DAYS', '0'],
    ['HISTORY_RETENTION_DAYS', '3651'],
    ['RETENTION_SWEEP_INTERVAL_SEC', '9'],
    ['RETENTION_SWEEP_BATCH_SIZE', '0'],
    ['SCHEDULER_STALL_SEC', '4'],
    ['SCHEDULER_STALL_SEC', 'soon'],
    ['EMBEDDED_DB_RESTARTS', '-1'],
    ['EMBEDDED_DB_RESTARTS', '101'],
    ['EMBEDDED_DB_RESTART_BACKOFF_MS', '49'],
    ['STALE_AFTER_INTERVALS', '1'],
    ['HIGH_FAILURE_THRESHOLD', '0'],
    ['LOG_LEVEL', 'verbose'],
    ['DEFAULT_CHECK_INTERVAL', '4'],
    ['DEFAULT_CHECK_INTERVAL', '1m'],
    ['MAX_RECOVERY_ATTEMPTS', '101'],
  ])('%s=%j is refused, naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} `));
  });

  test('LOG_LEVEL in any case', () => {
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: ' Warn ' }).logLevel).toBe('warn');
  });

  test('the seed’s DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS', () => {
    expect(loadConfig({ DEFAULT_CHECK_INTERVAL: '45', MAX_RECOVERY_ATTEMPTS: '0' })).toMatchObject({ defaultCheckInterval: 45, maxRecoveryAttempts: 0 });
  });

  test('the message says what was expected and what was given', () => {
    const [problem] = problemsOf({ MONGODB_MAX_POOL_SIZE: '2000' });
    expect(problem).toBe('MONGODB_MAX_POOL_SIZE must be between 1 and 1000, got 2000');
  });

  test('every bad value is reported together in one ConfigError', () => {
    let caught: unknown;
    try {
      loadConfig({
        MONGODB_URI: 'postgres://x',
        MONGODB_MAX_POOL_SIZE: 'many',
        EMBEDDED_DB: 'sqlite',
        STALE_AFTER_INTERVALS: '1',
        LOG_LEVEL: 'loud',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.problems.map((p) => p.split(' ')[0]).sort()).toEqual(
      ['EMBEDDED_DB', 'LOG_LEVEL', 'MONGODB_MAX_POOL_SIZE', 'MONGODB_URI', 'STALE_AFTER_INTERVALS'].sort(),
    );
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  test('a min pool size above the max pool size is refused', () => {
    expect(problemsOf({ MONGODB_MIN_POOL_SIZE: '10', MONGODB_MAX_POOL_SIZE: '5' })).toEqual([
      'MONGODB_MIN_POOL_SIZE must not exceed MONGODB_MAX_POOL_SIZE',
    ]);
    expect(problemsOf({ MONGODB_MIN_POOL_SIZE: '51' })).toEqual(['MONGODB_MIN_POOL_SIZE must not exceed MONGODB_MAX_POOL_SIZE']);
  });

  test('min pool above max pool is reported together with an unrelated bad value', () => {
    const problems = problemsOf({ MONGODB_MIN_POOL_SIZE: '10', MONGODB_MAX_POOL_SIZE: '5', LOG_LEVEL: 'loud' });
    expect(problems).toContain('MONGODB_MIN_POOL_SIZE must not exceed MONGODB_MAX_POOL_SIZE');
    expect(problems.some((p) => p.startsWith('LOG_LEVEL '))).toBe(true);
  });

  test('does not read process.env when an environment is passed', () => {
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'nonsense';
    try {
      expect(loadConfig({}).logLevel).toBe('info');
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });
});
