import DataLoader from 'dataloader';
import type { Page, PageRequest } from '../common/pagination.js';
import type { NotificationChannel } from '../modules/alerting/channel.model.js';
import type { Notification } from '../modules/alerting/outbox.model.js';
import type { Domain } from '../modules/domain.js';
import type { Heartbeat } from '../modules/heartbeats/heartbeat.model.js';
import type { MonitoringCheck } from '../modules/history/history.model.js';
import type { UptimeReport } from '../modules/history/uptime.service.js';
import type { Host } from '../modules/hosts/host.model.js';
import type { Service } from '../modules/services/service.model.js';

export interface HistoryKey extends PageRequest {
  serviceId: string;
  since?: Date | null;
}

export interface UptimeKey {
  serviceId: string;
  days: number;
}

/**
 * Per-request batching: every `Host.services`, `Service.host`, `Service.dependencies`
 * and `Service.uptime` a response needs is fetched with one query per kind, however many
 * parents there are. Created per request, so nothing is cached across callers.
 */
export function createLoaders(domain: Domain) {
  return {
    hostById: new DataLoader<string, Host | null>(async (ids) => byKey(ids, await domain.hosts.getMany(ids), (h) => h.host_id)),
    serviceById: new DataLoader<string, Service | null>(async (ids) => byKey(ids, await domain.services.getMany(ids), (s) => s.service_id)),
    checkById: new DataLoader<string, MonitoringCheck | null>(async (ids) => byKey(ids, await domain.history.getMany(ids), (c) => String(c._id))),
    servicesByHostId: new DataLoader<string, Service[]>(async (hostIds) => {
      const services = await domain.services.onHosts(hostIds);
      return hostIds.map((id) => services.filter((s) => s.host_id === id));
    }),
    uptime: new DataLoader<UptimeKey, UptimeReport | null, string>(
      async (keys) => {
        const reports = new Map<number, Map<string, UptimeReport>>();
        for (const days of new Set(keys.map((k) => k.days))) {
          const ids = keys.filter((k) => k.days === days).map((k) => k.serviceId);
          reports.set(days, await domain.uptime.forServices(ids, days));
        }
        return keys.map((k) => reports.get(k.days)?.get(k.serviceId) ?? null);
      },
      { cacheKeyFn: (k) => `${k.days}:${k.serviceId}` },
    ),
    deliveriesByIncident: new DataLoader<string, Notification[]>(async (incidentIds) => {
      const byIncident = new Map<string, Notification[]>();
      for (const n of await domain.alerting.incidents.deliveriesOf(incidentIds)) {
        for (const id of n.incident_ids!) byIncident.set(id, [...(byIncident.get(id) ?? []), n]);
      }
      return incidentIds.map((id) => byIncident.get(id) ?? []);
    }),
    heartbeatByServiceId: new DataLoader<string, Heartbeat | null>(async (ids) => {
      const heartbeats = await domain.heartbeats.ofServices(ids);
      return ids.map((id) => heartbeats.get(id) ?? null);
    }),
    channelById: new DataLoader<string, NotificationChannel | null>(async (ids) => {
      const channels = await domain.alerting.channels.byIds(ids);
      return ids.map((id) => channels.get(id) ?? null);
    }),
    // MongoDB cannot limit per group in one find; each page is its own indexed query, all issued in one batch.
    historyPage: new DataLoader<HistoryKey, Page<MonitoringCheck>, string>(
      async (keys) =>
        Promise.all(keys.map((k) => domain.history.page({ service_id: k.serviceId, since: k.since ?? undefined }, k))),
      { cacheKeyFn: (k) => JSON.stringify([k.serviceId, k.first ?? null, k.after ?? null, k.since ?? null]) },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

function byKey<T>(keys: readonly string[], items: T[], keyOf: (item: T) => string): (T | null)[] {
  const map = new Map(items.map((item) => [keyOf(item), item]));
  return keys.map((key) => map.get(key) ?? null);
}
