import { setTimeout as sleep } from 'node:timers/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import mongoose from 'mongoose';
import { watchCommandTimes } from '../db/command-timing.js';
import type { EventBus } from '../events/event-bus.js';
import type { Delivery } from '../modules/alerting/outbox-sender.js';
import { ServiceModel } from '../modules/services/service.model.js';

const PREFIX = 'service_monitor_';
/** Checks, requests and commands: from a millisecond to a minute. */
const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Counted the database at most this often, however often Prometheus scrapes. */
const DATABASE_GAUGE_MAX_AGE_MS = 5_000;
/** Longer than this, and the database's counts are reported unknown for this scrape. */
const DATABASE_GAUGE_TIMEOUT_MS = 1_000;

export interface MetricsOptions {
  /** One series per service (up, response time, TLS days left, consecutive failures): METRICS_PER_SERVICE. */
  perService: boolean;
}

/** What the live sockets report when scraped. */
export interface LiveLoad {
  connections(): number;
  load(): { subscriptions: number; queuedEvents: number };
}

/**
 * The process's Prometheus metrics (prom-client, one registry per process). Checks, recoveries and notifications
 * are counted from the domain's events; GraphQL requests by the API's plugin; database commands by the driver's
 * command monitoring; the backlog and leases are counted in the database when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly checks = this.counter('checks_total', 'Checks run, by method and resulting status.', ['method', 'status']);
  readonly checkDuration = this.histogram('check_duration_seconds', 'Response time of a check as its checker measured it, by method.', ['method']);
  readonly scheduleLag = this.histogram('schedule_lag_seconds', 'From when a scheduled check was due to when it started.', []);
  readonly resultWriteDelay = this.histogram('result_write_delay_seconds', 'From when a check started to when its result was written.', []);
  readonly recoveries = this.counter('recoveries_total', 'Recovery events by action and outcome (attempted, succeeded, failed, gave_up).', ['action', 'outcome']);
  readonly notifications = this.counter('notifications_total', 'Notification deliveries by channel id, event and outcome (sent, retry, failed, waiting).', ['channel', 'event', 'outcome']);
  readonly graphqlRequests = this.counter('graphql_requests_total', 'GraphQL requests over HTTP by operation name and outcome code (OK or the first error code).', ['operation', 'code']);
  readonly graphqlDuration = this.histogram('graphql_request_duration_seconds', 'GraphQL request duration over HTTP by operation name.', ['operation']);
  readonly databaseCommands = this.histogram('db_command_duration_seconds', 'Database command round trip by command name.', ['command']);
  private readonly operations = new Set<string>();
  /** Each service's latest check run by this process, for the per-service series. */
  private readonly latest = new Map<string, { service_id: string; service_name: string; host_id: string; status: string; response_time_ms: number | null; tls_days_left: number | null; consecutive_failures: number }>();
  private readonly stops: (() => void)[] = [];

  constructor(private readonly options: MetricsOptions) {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.databaseGauges();
    if (options.perService) this.perServiceGauges();
  }

  /** Follows the domain's events: checks (and per-service values when on) and recoveries. */
  follow(events: EventBus): void {
    this.stops.push(
      events.subscribe('check.completed', (check) => {
        this.checks.inc({ method: check.method, status: check.status });
        if (check.response_time_ms !== null) this.checkDuration.observe({ method: check.method }, check.response_time_ms / 1000);
        if (check.due_at) this.scheduleLag.observe(Math.max(0, +check.at - +check.due_at) / 1000);
        this.resultWriteDelay.observe(Math.max(0, +check.recorded_at - +check.at) / 1000);
        if (this.options.perService) this.latest.set(check.service_id, check);
      }),
      events.subscribe('recovery.event', (event) => this.recoveries.inc({ action: event.action ?? 'none', outcome: event.kind })),
      // A deleted service's series end with it, rather than staying at its last value.
      events.subscribe('service.changed', (event) => (event.kind === 'deleted' ? this.latest.delete(event.service_id) : undefined)),
    );
  }

  /** A notification sender's outcomes. */
  countDeliveries(observe: (listener: (delivery: Delivery) => void) => () => void): void {
    this.stops.push(observe((delivery) => this.notifications.inc({ channel: delivery.channel_id, event: delivery.event, outcome: delivery.outcome })));
  }

  /** The connected database's command round trips. */
  timeDatabaseCommands(): void {
    this.stops.push(watchCommandTimes(mongoose.connection.getClient(), (timing) => this.databaseCommands.observe({ command: timing.command }, timing.durationMs / 1000)));
  }

  /** Live connections, subscriptions and queued events, read when scraped. */
  watchLive(live: LiveLoad): void {
    const gauge = (name: string, help: string, read: () => number) => new Gauge({ name: PREFIX + name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('live_connections', 'Open graphql-ws connections.', () => live.connections());
    gauge('live_subscriptions', 'Subscriptions running over graphql-ws.', () => live.load().subscriptions);
    gauge('live_queued_events', 'Events waiting to be sent to live clients.', () => live.load().queuedEvents);
  }

  /**
   * The label a GraphQL operation is counted under: its name when it is a plain name, one of the first 200 names
   * seen; else `other` (names come from clients: unbounded names would be unbounded series).
   */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.operations.has(name)) return name;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) || this.operations.size >= 200) return 'other';
    this.operations.add(name);
    return name;
  }

  stop(): void {
    this.stops.splice(0).forEach((stop) => stop());
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]) {
    return new Counter<L>({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: L[]) {
    return new Histogram<L>({ name: PREFIX + name, help, labelNames, buckets: SECONDS, registers: [this.registry] });
  }

  /** Due-but-unclaimed checks and leases held, counted in the database (shared by every process) when scraped. */
  private databaseGauges(): void {
    let counted: { at: number; values: Promise<{ backlog: number; leases: number }> } | null = null;
    const count = () => {
      if (!counted || Date.now() - counted.at > DATABASE_GAUGE_MAX_AGE_MS) {
        const now = new Date();
        const counts = Promise.all([
          ServiceModel.countDocuments({ 'monitoring.enabled': true, next_check_at: { $lte: now }, lease_owner: null }),
          ServiceModel.countDocuments({ lease_owner: { $type: 'string' } }),
        ]).then(([backlog, leases]) => ({ backlog, leases }));
        // A stalled database must not stall the scrape (Prometheus would see the whole target down): unknown is NaN.
        const values = Promise.race([counts, sleep(DATABASE_GAUGE_TIMEOUT_MS).then(() => ({ backlog: NaN, leases: NaN }))]);
        counts.catch(() => {});
        values.catch(() => (counted = null));
        counted = { at: Date.now(), values };
      }
      return counted.values;
    };
    const registry = this.registry;
    new Gauge({ name: `${PREFIX}checks_due_unclaimed`, help: 'Enabled services whose check is due and that no worker has claimed (all processes).', registers: [registry], async collect() { this.set((await count()).backlog); } });
    new Gauge({ name: `${PREFIX}check_leases_held`, help: 'Services claimed by a worker for a check under way (all processes).', registers: [registry], async collect() { this.set((await count()).leases); } });
  }

  /** Per service, from the checks this process ran (each process exports its own). */
  private perServiceGauges(): void {
    const labelNames = ['service_id', 'service', 'host_id'] as const;
    const latest = this.latest;
    const series = (name: string, help: string, value: (check: NonNullable<ReturnType<typeof latest.get>>) => number | null) =>
      new Gauge({
        name: PREFIX + name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const check of latest.values()) {
            const v = value(check);
            if (v !== null) this.set({ service_id: check.service_id, service: check.service_name, host_id: check.host_id }, v);
          }
        },
      });
    series('service_up', '1 when the service’s latest check found it running (or warning), else 0.', (c) => (c.status === 'running' || c.status === 'warning' ? 1 : 0));
    series('service_response_time_seconds', 'The service’s latest check’s response time.', (c) => (c.response_time_ms === null ? null : c.response_time_ms / 1000));
    series('service_tls_days_left', 'Days until the service’s TLS certificate expires (HTTPS checks).', (c) => c.tls_days_left);
    series('service_consecutive_failures', 'Failed checks in a row.', (c) => c.consecutive_failures);
  }
}
