import type { Config } from '../config/config.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { EventBus } from '../events/event-bus.js';
import { Alerting, DEFAULT_ALERTING_SETTINGS, type AlertingSettings } from './alerting/alerting.js';
import { AuditService } from './audit/audit.service.js';
import { DashboardService } from './dashboard/dashboard.service.js';
import { EnvironmentService } from './environments/environment.service.js';
import { CheckRecorder } from './history/check-recorder.js';
import { HistoryService } from './history/history.service.js';
import { UptimeService } from './history/uptime.service.js';
import { HeartbeatService } from './heartbeats/heartbeat.service.js';
import { HostService } from './hosts/host.service.js';
import { ConfigImporter } from './migration/config-import.js';
import { ImportJobs } from './migration/import-jobs.js';
import { InventoryService } from './inventory/inventory.service.js';
import { ServiceService } from './services/service.service.js';

export type DomainSettings = Pick<Config, 'historyRetentionDays' | 'staleAfterIntervals' | 'highFailureThreshold'> &
  Partial<Pick<Config, 'auditRetentionDays' | 'attentionScanSec' | 'dashboardSummaryMaxAgeMs' | 'defaultCheckInterval' | 'maxRecoveryAttempts'>> &
  Partial<AlertingSettings>;

/** The domain operations, wired once; GraphQL resolvers, the CLI and tests all go through these. */
export interface Domain {
  hosts: HostService;
  services: ServiceService;
  environments: EnvironmentService;
  history: HistoryService;
  recorder: CheckRecorder;
  uptime: UptimeService;
  dashboard: DashboardService;
  importer: ConfigImporter;
  importJobs: ImportJobs;
  inventory: InventoryService;
  audit: AuditService;
  alerting: Alerting;
  heartbeats: HeartbeatService;
}

/**
 * `events` hears every inventory change once it is written (the live API forwards them to subscribers);
 * the audit log hears from it what the engine does on its own. `logger` hears audit writes that failed.
 */
export function createDomain(settings: DomainSettings, events = new EventBus(), logger: Logger = silentLogger): Domain {
  const hosts = new HostService(events);
  const services = new ServiceService(settings, events);
  const audit = new AuditService(settings, logger);
  audit.recordEngineActions(events);
  const dashboard = new DashboardService(settings);
  const importer = new ConfigImporter(hosts, services);
  const environments = new EnvironmentService();
  const alerting = new Alerting(alertingSettings(settings), logger, events);
  for (const event of ['service.status-changed', 'service.changed', 'host.changed', 'incident.changed'] as const) events.subscribe(event, () => dashboard.invalidate());
  return {
    hosts,
    services,
    environments,
    history: new HistoryService(),
    recorder: new CheckRecorder(settings),
    uptime: new UptimeService(settings),
    dashboard,
    importer,
    importJobs: new ImportJobs(importer, events, logger),
    inventory: new InventoryService(environments, hosts, services, alerting.channels, alerting.policies),
    audit,
    alerting,
    heartbeats: new HeartbeatService(events),
  };
}

function alertingSettings(settings: Partial<AlertingSettings>): AlertingSettings {
  const defined = Object.fromEntries(Object.entries(settings).filter(([key, value]) => key in DEFAULT_ALERTING_SETTINGS && value !== undefined));
  return { ...DEFAULT_ALERTING_SETTINGS, ...defined };
}
