import type { Config } from '../config/config.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { EventBus } from '../events/event-bus.js';
import { AuditService } from './audit/audit.service.js';
import { DashboardService } from './dashboard/dashboard.service.js';
import { EnvironmentService } from './environments/environment.service.js';
import { CheckRecorder } from './history/check-recorder.js';
import { HistoryService } from './history/history.service.js';
import { UptimeService } from './history/uptime.service.js';
import { HostService } from './hosts/host.service.js';
import { ConfigImporter } from './migration/config-import.js';
import { ServiceService } from './services/service.service.js';

export type DomainSettings = Pick<Config, 'historyRetentionDays' | 'staleAfterIntervals' | 'highFailureThreshold'> & Partial<Pick<Config, 'auditRetentionDays' | 'attentionScanSec'>>;

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
  audit: AuditService;
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
  return {
    hosts,
    services,
    environments: new EnvironmentService(),
    history: new HistoryService(),
    recorder: new CheckRecorder(settings),
    uptime: new UptimeService(settings),
    dashboard: new DashboardService(settings),
    importer: new ConfigImporter(hosts, services),
    audit,
  };
}
