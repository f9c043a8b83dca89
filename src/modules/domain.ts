import type { Config } from '../config/config.js';
import { DashboardService } from './dashboard/dashboard.service.js';
import { EnvironmentService } from './environments/environment.service.js';
import { CheckRecorder } from './history/check-recorder.js';
import { HistoryService } from './history/history.service.js';
import { UptimeService } from './history/uptime.service.js';
import { HostService } from './hosts/host.service.js';
import { ConfigImporter } from './migration/config-import.js';
import { ServiceService } from './services/service.service.js';

export type DomainSettings = Pick<Config, 'historyRetentionDays' | 'staleAfterIntervals' | 'highFailureThreshold'>;

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
}

export function createDomain(settings: DomainSettings): Domain {
  const hosts = new HostService();
  const services = new ServiceService(settings);
  return {
    hosts,
    services,
    environments: new EnvironmentService(),
    history: new HistoryService(),
    recorder: new CheckRecorder(settings),
    uptime: new UptimeService(settings),
    dashboard: new DashboardService(settings),
    importer: new ConfigImporter(hosts, services),
  };
}
