/**
 * What an environment's public status page says: its services grouped by service type, each with its current
 * status, and each group's daily uptime over 90 UTC days. Only what is meant for anyone is read from the
 * database at all (names, types, statuses): never hosts, addresses, error messages, tags or ids.
 */
import { SERVICE_STATUSES, type EnvironmentName, type ServiceStatus } from '../../common/enums.js';
import { ServiceModel } from '../services/service.model.js';
import { dayLabel, STATUS_PAGE_DAYS, type DailyUptime } from './daily-uptime.js';

/** A service as the public sees it. `unknown`: not checked yet, or the check could not run. */
export type PublicStatus = 'operational' | 'degraded' | 'down' | 'unknown';
/** A group: `outage` once more than half of its services with a known status are down. */
export type GroupStatus = 'operational' | 'degraded' | 'outage' | 'unknown';
/** The banner: `major_outage` when any group is in outage, `degraded` when anything is down or degraded. */
export type OverallStatus = 'operational' | 'degraded' | 'major_outage';

export interface StatusPageDay {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  /** Share of the known time the group's services were up that day, two decimals, rounded down; null: no data. */
  uptimePercentage: number | null;
}

export interface StatusPageService {
  name: string;
  status: PublicStatus;
  /** Over the 90 days; null: no data. */
  uptimePercentage: number | null;
}

export interface StatusPageGroup {
  name: string;
  status: GroupStatus;
  uptimePercentage: number | null;
  /** STATUS_PAGE_DAYS days, oldest first, today (so far) last. */
  days: StatusPageDay[];
  services: StatusPageService[];
}

export interface StatusPage {
  environment: EnvironmentName;
  title: string;
  status: OverallStatus;
  generatedAt: string;
  groups: StatusPageGroup[];
}

export interface StatusPageSubject {
  env_name: EnvironmentName;
  status_page: { title: string | null };
}

interface ServiceRow {
  service_id: string;
  service_name?: unknown;
  display_name?: unknown;
  service_type?: unknown;
  current_status?: unknown;
}

const OTHER_GROUP = 'other';

/** A service whose monitoring is off has a status nobody is keeping up to date: it is left off the page. */
export async function buildStatusPage(environment: StatusPageSubject, uptime: DailyUptime, now = Date.now()): Promise<StatusPage> {
  const rows = await ServiceModel.collection
    .find<ServiceRow>(
      { environment: environment.env_name, 'monitoring.enabled': { $ne: false } },
      { projection: { _id: 0, service_id: 1, service_name: 1, display_name: 1, service_type: 1, current_status: 1 } },
    )
    .toArray();
  const daily = await uptime.forEnvironment(
    environment.env_name,
    rows.map((row) => row.service_id),
    now,
  );
  const dates = Array.from({ length: STATUS_PAGE_DAYS }, (_, i) => dayLabel(daily.firstDay + i));

  const byType = new Map<string, ServiceRow[]>();
  for (const row of rows) {
    const type = typeof row.service_type === 'string' && row.service_type !== '' ? row.service_type : OTHER_GROUP;
    const members = byType.get(type);
    if (members) members.push(row);
    else byType.set(type, [row]);
  }

  const groups = [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, members]): StatusPageGroup => {
      const totals = new Float64Array(STATUS_PAGE_DAYS * 2);
      const services = members.map((row): StatusPageService => {
        const days = daily.byService.get(row.service_id);
        let up = 0;
        let down = 0;
        if (days) {
          for (let i = 0; i < days.length; i += 2) {
            up += days[i]!;
            down += days[i + 1]!;
            totals[i] += days[i]!;
            totals[i + 1] += days[i + 1]!;
          }
        }
        return { name: publicName(row), status: publicStatus(row.current_status), uptimePercentage: percentUp(up, down) };
      });
      services.sort((a, b) => a.name.localeCompare(b.name));
      let up = 0;
      let down = 0;
      const days = dates.map((date, i): StatusPageDay => {
        up += totals[i * 2]!;
        down += totals[i * 2 + 1]!;
        return { date, uptimePercentage: percentUp(totals[i * 2]!, totals[i * 2 + 1]!) };
      });
      return { name, status: groupStatus(services), uptimePercentage: percentUp(up, down), days, services };
    });

  return {
    environment: environment.env_name,
    title: environment.status_page.title?.trim() || environment.env_name,
    status: overallStatus(groups),
    generatedAt: new Date(now).toISOString(),
    groups,
  };
}

/** The name an operator gave for people to read; else the service's own name. */
function publicName(row: ServiceRow): string {
  if (typeof row.display_name === 'string' && row.display_name.trim() !== '') return row.display_name.trim();
  return typeof row.service_name === 'string' && row.service_name !== '' ? row.service_name : 'Unnamed service';
}

function publicStatus(stored: unknown): PublicStatus {
  // A stored status this server does not know (another tool wrote it) says nothing.
  if (!(SERVICE_STATUSES as readonly unknown[]).includes(stored)) return 'unknown';
  const status = stored as ServiceStatus;
  if (status === 'running') return 'operational';
  if (status === 'warning') return 'degraded';
  if (status === 'stopped' || status === 'error') return 'down';
  return 'unknown';
}

function groupStatus(services: StatusPageService[]): GroupStatus {
  const known = services.filter((s) => s.status !== 'unknown');
  if (known.length === 0) return 'unknown';
  const down = known.filter((s) => s.status === 'down').length;
  if (down * 2 > known.length) return 'outage';
  return down > 0 || known.some((s) => s.status === 'degraded') ? 'degraded' : 'operational';
}

function overallStatus(groups: StatusPageGroup[]): OverallStatus {
  if (groups.some((g) => g.status === 'outage')) return 'major_outage';
  return groups.some((g) => g.status === 'degraded') ? 'degraded' : 'operational';
}

/**
 * Rounded down, so only a day without any downtime reads 100%. Null when no time was known (no rollups),
 * which the page shows as "no data".
 */
export function percentUp(up: number, down: number): number | null {
  const known = up + down;
  // The epsilon keeps 99.95 from reading 99.94 when the division lands just below it.
  return known === 0 ? null : Math.floor((up / known) * 10_000 + 1e-6) / 100;
}
