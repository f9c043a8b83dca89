import 'reflect-metadata';
import mongoose from 'mongoose';
import { ConfigError, loadConfig, unknownSettings, type Config, type DotEnvRead } from './config/config.js';
import { createLogger, exitAfterLogs, type Logger } from './common/logger.js';
import { startMetricsServer } from './http/metrics-endpoint.js';
import { Metrics } from './observability/metrics.js';
import { tracing } from './observability/tracing-preload.js';
import { pingDatabase } from './db/connection.js';
import { openDatabase } from './db/database.js';
import { startTtlSweep } from './db/ttl-sweep.js';
import { EventBus } from './events/event-bus.js';
import { queryLimitsFrom } from './graphql/limits.js';
import { startApiServer, type ReadinessProblem } from './http/api-server.js';
import { systemActor } from './modules/audit/audit-entry.js';
import { ApiKeyService } from './modules/auth/api-key.service.js';
import { writeSecretFile } from './modules/auth/key-file.js';
import { createMonitoring } from './modules/checks/monitoring.js';
import { createDomain, type Domain } from './modules/domain.js';
import { startLive, startLivePublisher } from './modules/live/live.js';
import { startScheduler } from './scheduler/scheduler.js';
import { startWatchdog, type Watchdog } from './scheduler/watchdog.js';

/**
 * Starts a process: config -> database -> domain -> monitoring -> HTTP and/or
 * scheduler, by PROCESS_MODE (all, api, worker). Stops in the reverse order.
 * `dotEnv`: what main.ts read from .env, to be said once the log is open.
 */
export async function startProcess(dotEnv: DotEnvRead | null): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  reportEnvironment(dotEnv, logger);
  // The embedded database died and every restart failed: one line, and a non-zero exit for the supervisor.
  const giveUp = (message: string) => {
    logger.error(message);
    exitAfterLogs(69);
  };
  const database = await openDatabase(config, logger, giveUp).catch(exitUnavailable(logger));
  const events = new EventBus((event, error) => logger.error('event listener failed', { event, reason: String(error) }));
  const domain = createDomain(config, events, logger.child({ component: 'domain' }));
  const monitoring = createMonitoring(domain, events, config, logger.child({ component: 'checks' }));
  const metrics = startMetrics(config, events, domain);
  const reportLiveError = (reason: unknown) => logger.error('live event failed', { reason: String(reason) });
  // Shutdown runs these phases in order, the parts of one phase together: first what takes work in
  // (HTTP requests and scheduled checks drain side by side), the database connection last.
  const taking: Stop[] = [];
  const helpers: Stop[] = [];
  const stops: Stop[][] = [taking, helpers, [{ name: 'check connections', stop: () => monitoring.close() }], [{ name: 'database', stop: () => database.close() }]];
  // After requests and checks have finished: what they recorded is written before the database closes.
  helpers.push({ name: 'audit log', stop: () => domain.audit.close(Math.max(config.shutdownTimeoutMs, 1_000)) });
  // Incidents follow the checks this process records; the outbox is sent by every process that runs checks.
  domain.alerting.start(events, { send: config.processMode !== 'api' });
  helpers.push({ name: 'alerting', stop: () => domain.alerting.stop() });

  if (!database.capabilities.ttlMonitor) {
    const stopSweep = startTtlSweep(mongoose.connection.db!, { intervalMs: config.retentionSweepIntervalSec * 1000, batchSize: config.retentionSweepBatchSize }, logger);
    helpers.push({ name: 'retention sweep', stop: stopSweep });
  }
  // Live first: an unreachable Redis stops start-up before the scheduler has claimed any service.
  const live = config.processMode === 'worker' ? null : await startLive(events, domain, config, reportLiveError).catch(exitUnavailable(logger));
  const publisher = live ? null : await startLivePublisher(events, config.redisUrl, reportLiveError).catch(exitUnavailable(logger));
  stops.splice(stops.length - 1, 0, [{ name: 'live events', stop: () => (live ?? publisher)!.close() }]);
  // Last of all, after the database: the spans of the shutdown itself are sent too.
  stops.push([{ name: 'traces', stop: () => tracing.shutdown() }]);
  if (config.metricsPort !== undefined) {
    const scrape = await startMetricsServer(metrics.registry, config.metricsHost, config.metricsPort).catch(exitUnavailable(logger));
    helpers.push({ name: 'metrics listener', stop: () => scrape.stop() });
    logger.info('metrics listening', { url: `http://${config.metricsHost}:${scrape.port}/metrics` });
  }

  let watchdog: Watchdog | null = null;
  if (config.processMode !== 'api') {
    const settings = schedulerSettings(config);
    const scheduler = await startScheduler(mongoose.connection.db!, monitoring.engine, domain.uptime, settings, logger.child({ component: 'scheduler' }));
    const stallAfterMs = config.schedulerStallSec * 1000;
    const running = startWatchdog(
      scheduler.health,
      () => pingDatabase(),
      { stallAfterMs, checkEveryMs: Math.min(5_000, Math.round(stallAfterMs / 3)), dispatchSlots: settings.dispatchSlots },
      logger.child({ component: 'watchdog' }),
    );
    watchdog = running;
    // The watchdog first: it must not restart Agenda while the scheduler drains.
    // Checks under way get as long as requests in flight, and at least a slice to end theirs.
    const drainMs = Math.max(config.shutdownTimeoutMs, settings.dispatchSliceMs + 5_000);
    taking.push({ name: 'scheduler', stop: () => (running.stop(), scheduler.stop(drainMs)) });
  }
  if (live) {
    const apiKeys = new ApiKeyService(events);
    await handOutFirstAdminKey(apiKeys, domain, config, logger);
    const api = await startApiServer({
      port: config.port,
      domain,
      apiKeys,
      engine: monitoring.engine,
      pingDatabase: () => pingDatabase(),
      readiness: () => {
        const problems: ReadinessProblem[] = [];
        const embedded = database.embeddedProblem();
        if (embedded) problems.push({ component: 'embedded-database', reason: embedded });
        const scheduler = watchdog?.problem();
        if (scheduler) problems.push(scheduler);
        return problems;
      },
      logger,
      limits: queryLimitsFrom(config),
      keyLimits: { requestsPerSecond: config.rateLimitPerSec, concurrent: config.rateLimitConcurrent },
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      live: { services: live, keepAliveMs: config.liveKeepAliveSec * 1000, maxQueuedEvents: config.liveMaxQueuedEvents },
      metrics: { metrics, token: config.metricsToken ?? null },
      ide: config.graphqlIde,
      publicUrl: config.publicUrl,
    });
    if (api.sockets) metrics.watchLive(api.sockets);
    taking.push({ name: 'HTTP server', stop: () => api.stop() });
    logger.info('service-monitor API listening', { url: api.url.replace('127.0.0.1', 'localhost'), server: database.server, mode: config.processMode });
  } else {
    if (!config.redisUrl) logger.warn('REDIS_URL is not set: status changes found by this worker reach no API process');
    logger.info('service-monitor worker running checks', { server: database.server });
  }
  handleSignals(stops, logger);
}

/** Where the settings came from, and every variable that looks like a mistyped setting (which would otherwise leave its default in force unnoticed). */
function reportEnvironment(dotEnv: DotEnvRead | null, logger: Logger): void {
  if (dotEnv) logger.info('settings read from .env', { file: dotEnv.file, set: dotEnv.set, keptFromEnvironment: dotEnv.kept });
  for (const unknown of unknownSettings(process.env)) logger.warn(unknown.message, { variable: unknown.variable, suggestion: unknown.suggestion });
}

/** Prometheus metrics of this process: domain events, notification deliveries, database commands. */
function startMetrics(config: Config, events: EventBus, domain: Domain): Metrics {
  const metrics = new Metrics({ perService: config.metricsPerService });
  metrics.follow(events);
  metrics.countDeliveries((listener) => domain.alerting.sender.observe(listener));
  metrics.timeDatabaseCommands();
  return metrics;
}

/** A service the process needs (the database, Redis) cannot be reached: say which, and exit EX_UNAVAILABLE. */
function exitUnavailable(logger: Logger) {
  return (error: Error): Promise<never> => {
    logger.error(error.message);
    exitAfterLogs(69);
    return new Promise<never>(() => {}); // nothing goes on while the log is written
  };
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

function schedulerSettings(config: Config) {
  return { dispatchSlots: config.dispatchSlots, dispatchSliceMs: 10_000, idlePollMs: 100, processEveryMs: 1_000, lockLifetimeMs: 30_000 };
}

/**
 * On first start (no key at all) an admin key is made and handed out once: written to ADMIN_KEY_FILE
 * (mode 0600) when set, else printed on stdout. A key that could not be written is deleted again and
 * the process exits 73 (EX_CANTCREAT), so no admin key exists that nobody has.
 */
async function handOutFirstAdminKey(apiKeys: ApiKeyService, domain: Domain, config: Config, logger: Logger): Promise<void> {
  const firstKey = await apiKeys.issueFirstAdminKey();
  if (!firstKey) return;
  const { key_id: keyId, name, role } = firstKey.apiKey;
  if (config.adminKeyFile) {
    try {
      await writeSecretFile(config.adminKeyFile, `${firstKey.secret}\n`);
    } catch (error) {
      await apiKeys.discard(keyId);
      logger.error('the first admin key could not be written to ADMIN_KEY_FILE; no key was made', {
        file: config.adminKeyFile,
        reason: error instanceof Error ? error.message : String(error),
      });
      exitAfterLogs(73);
      await new Promise<never>(() => {}); // nothing goes on while the log is written
    }
  }
  domain.audit.record({
    actor: systemActor('first start'),
    channel: 'system',
    operation: 'createApiKey',
    arguments: { name, role, handedOut: config.adminKeyFile ? 'ADMIN_KEY_FILE' : 'stdout' },
    targets: [{ type: 'api_key', id: keyId }],
    outcome: 'success',
  });
  if (config.adminKeyFile) {
    process.stdout.write(`\nNo API keys existed, so an admin key (${keyId}) was created and written to ${config.adminKeyFile} (mode 0600).\n\n`);
    return;
  }
  process.stdout.write(
    `\nNo API keys existed, so an admin key was created. It is shown this once:\n\n  ${firstKey.secret}\n\n` +
      `Use it as "Authorization: Bearer <key>"; create narrower keys with the createApiKey mutation.\n` +
      `(Set ADMIN_KEY_FILE to have it written to a file instead of the console.)\n\n`,
  );
}

interface Stop {
  name: string;
  stop: () => Promise<void> | void;
}

/** SIGTERM/SIGINT: stop taking work, let in-flight requests and checks finish, close the database. */
function handleSignals(phases: Stop[][], logger: Logger): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down: finishing in-flight work', { signal });
    let failed = false;
    for (const phase of phases) {
      await Promise.all(
        phase.map(async ({ name, stop }) => {
          logger.debug('stopping', { part: name });
          try {
            await stop();
          } catch (error) {
            failed = true;
            logger.error('could not stop cleanly', { part: name, reason: error instanceof Error ? error.message : String(error) });
          }
        }),
      );
    }
    logger.info('stopped');
    // Agenda leaves lock-renewal timers behind after stop(); the process has nothing left to do.
    exitAfterLogs(failed ? 1 : 0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
