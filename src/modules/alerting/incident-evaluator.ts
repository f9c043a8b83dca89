import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation } from 'mongoose';
import type { EnvironmentName, HostStatus } from '../../common/enums.js';
import { duplicateRefusals } from '../../db/mongo-errors.js';
import { EnvironmentModel, type Environment } from '../environments/environment.model.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import { pushTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident } from './incident.model.js';
import { severityFor, thresholdsFor, type Thresholds } from './incident-rules.js';

export interface EvaluatorSettings {
  defaults: Thresholds;
  retentionDays: number;
  /** A service that opens this many incidents within `flapWindowMs` (this one included) is flapping. */
  flapThreshold: number;
  flapWindowMs: number;
  /** An incident opening on a host opens those of its other failing services too (ALERT_HOST_CORRELATION). */
  hostCorrelation: boolean;
}

/** A check's outcome, as the engine publishes it. */
export interface CheckOutcome {
  service_id: string;
  error?: string | null;
}

type ServiceFacts = Pick<Service, 'service_id' | 'host_id' | 'service_name' | 'environment' | 'region' | 'consecutive_failures' | 'alerting' | 'dependencies'> & {
  last_error?: string | null;
  /** Opened below its threshold, with this service's incident on the same host. */
  with_service?: string;
};

const FACTS = { service_id: 1, host_id: 1, service_name: 1, environment: 1, region: 1, consecutive_failures: 1, alerting: 1, dependencies: 1 } as const;

/** What an evaluation changed: incidents opened and resolved (the notifier queues their notifications). */
export interface Evaluation {
  opened: Incident[];
  resolved: Incident[];
}

const ENVIRONMENT_CACHE_MS = 10_000;

/**
 * Opens and resolves incidents from check outcomes, in batches: a service whose `consecutive_failures` (as the
 * recorder wrote it) reached its failure threshold gets an incident unless one is open (the unique
 * `open_service_id` makes a second opening, by any process, a no-op); an open incident counts successes in a row
 * and resolves at the success threshold. Each batch costs two reads (services, their open incidents) plus one
 * write per change, whatever its size.
 */
export class IncidentEvaluator {
  private environments: { at: number; byName: Promise<Map<string, Environment>> } | null = null;

  constructor(private readonly settings: EvaluatorSettings) {}

  async evaluate(outcomes: readonly CheckOutcome[], now = new Date()): Promise<Evaluation> {
    const latest = new Map(outcomes.map((o) => [o.service_id, o]));
    const ids = [...latest.keys()];
    const [services, open, environments] = await Promise.all([
      ServiceModel.find({ service_id: { $in: ids } }, FACTS).lean<ServiceFacts[]>(),
      IncidentModel.find({ open_service_id: { $in: ids } }, { timeline: 0 }).lean<Incident[]>(),
      this.environmentsByName(),
    ]);
    const openByService = new Map(open.map((i) => [i.service_id, i]));
    const evaluation: Evaluation = { opened: [], resolved: [] };
    const toOpen: ServiceFacts[] = [];
    const followUps: AnyBulkWriteOperation<Incident>[] = [];
    const toResolve: { incident: Incident; streak: number }[] = [];
    for (const service of services) {
      const thresholds = thresholdsFor(service.alerting as never, environments.get(service.environment) as never, this.settings.defaults);
      const incident = openByService.get(service.service_id);
      const failures = service.consecutive_failures ?? 0;
      const error = latest.get(service.service_id)?.error ?? null;
      if (!incident) {
        if (failures > 0 && failures >= thresholds.failure) toOpen.push({ ...service, last_error: error });
        continue;
      }
      const streak = failures > 0 ? 0 : (incident.success_streak ?? 0) + 1;
      if (streak >= thresholds.success) toResolve.push({ incident, streak });
      else followUps.push(followUp(incident, failures, streak, error));
    }
    // Opening is what someone waits for: it does not queue behind the follow-ups of incidents already open.
    const opening = (async () => {
      if (this.settings.hostCorrelation) toOpen.push(...(await this.failingNeighbours(toOpen)));
      evaluation.opened = await this.open(toOpen, environments, now);
    })();
    // One write for every open incident's follow-up (failures reset its success streak; successes count towards resolving it).
    const following = followUps.length > 0 ? IncidentModel.bulkWrite(followUps, { ordered: false }) : null;
    // Awaited below, after the resolutions: a failure meanwhile must not count as unhandled.
    for (const work of [opening, following]) work?.catch(() => {});
    for (const { incident, streak } of toResolve) {
      const resolved = await resolveIncident(incident.incident_id, 'system', `${streak} successful check${streak === 1 ? '' : 's'} in a row`, this.settings.retentionDays, now);
      if (resolved) evaluation.resolved.push(resolved);
    }
    await Promise.all([opening, following]);
    return evaluation;
  }

  /**
   * The other services of the hosts where incidents open now that are failing too (a failed check or more) and have
   * no incident: in a host outage each service reaches its threshold at its own point of the check interval, so one
   * incident per interval would trickle in and each would be notified on its own. Opened together, the host's
   * outage is one notification, at once.
   */
  private async failingNeighbours(opening: ServiceFacts[]): Promise<ServiceFacts[]> {
    if (opening.length === 0) return [];
    const first = new Map<string, string>();
    for (const service of opening) if (!first.has(service.host_id)) first.set(service.host_id, service.service_id);
    const opened = new Set(opening.map((s) => s.service_id));
    const failing = (
      await ServiceModel.find({ host_id: { $in: [...first.keys()] }, consecutive_failures: { $gte: 1 }, 'monitoring.enabled': { $ne: false } }, FACTS).lean<ServiceFacts[]>()
    ).filter((s) => !opened.has(s.service_id));
    if (failing.length === 0) return [];
    const open = await IncidentModel.find({ open_service_id: { $in: failing.map((s) => s.service_id) } }, { service_id: 1 }).lean<Pick<Incident, 'service_id'>[]>();
    const withIncident = new Set(open.map((i) => i.service_id));
    return failing.filter((s) => !withIncident.has(s.service_id)).map((s) => ({ ...s, with_service: first.get(s.host_id)! }));
  }

  private async open(services: ServiceFacts[], environments: Map<string, Environment>, now: Date): Promise<Incident[]> {
    if (services.length === 0) return [];
    const hostIds = [...new Set(services.map((s) => s.host_id))];
    const dependencyIds = [...new Set(services.flatMap((s) => s.dependencies ?? []))];
    const [hosts, causes] = await Promise.all([
      HostModel.find({ host_id: { $in: hostIds } }, { host_id: 1, hostname: 1, status: 1 }).lean<{ host_id: string; hostname: string; status: HostStatus }[]>(),
      dependencyIds.length ? IncidentModel.find({ open_service_id: { $in: dependencyIds } }, { incident_id: 1, service_id: 1 }).lean<Pick<Incident, 'incident_id' | 'service_id'>[]>() : [],
    ]);
    const hostById = new Map(hosts.map((h) => [h.host_id, h]));
    const causeByService = new Map(causes.map((c) => [c.service_id, c]));
    const recent = await this.recentIncidents(services.map((s) => s.service_id), now);
    const incidents = services.map((service): Incident => {
      const cause = (service.dependencies ?? []).map((id) => causeByService.get(id)).find(Boolean) ?? null;
      const count = (recent.get(service.service_id) ?? 0) + 1;
      const flapping = count >= this.settings.flapThreshold;
      const failed = `${service.consecutive_failures} failed check${service.consecutive_failures === 1 ? '' : 's'} in a row${service.last_error ? `: ${service.last_error}` : ''}${
        service.with_service ? ` (opened with ${service.with_service}'s incident on the same host)` : ''
      }`;
      return {
        incident_id: `inc_${randomUUID()}`,
        service_id: service.service_id,
        open_service_id: service.service_id,
        service_name: service.service_name,
        host_id: service.host_id,
        hostname: hostById.get(service.host_id)?.hostname ?? service.host_id,
        environment: service.environment as EnvironmentName,
        region: service.region,
        severity: severityFor(service.alerting as never, environments.get(service.environment) as never),
        state: 'triggered',
        opened_at: now,
        acknowledged_at: null,
        resolved_at: null,
        last_error: service.last_error ?? null,
        failure_count: service.consecutive_failures,
        success_streak: 0,
        caused_by: cause ? { incident_id: cause.incident_id, service_id: cause.service_id } : null,
        suppressed: null,
        flapping,
        notified: false,
        notified_channels: [],
        timeline: [
          timelineEntry('opened', now, { actor: 'system', message: failed }),
          ...(flapping ? [timelineEntry('flapping', now, { actor: 'system', message: `${count} incidents within ${Math.round(this.settings.flapWindowMs / 60_000)} min` })] : []),
        ],
        expires_at: null,
      };
    });
    return insertOpened(incidents);
  }

  /** How many incidents each service opened within the flap window (one read for the batch). */
  private async recentIncidents(serviceIds: string[], now: Date): Promise<Map<string, number>> {
    const recent = await IncidentModel.find({ service_id: { $in: serviceIds }, opened_at: { $gte: new Date(+now - this.settings.flapWindowMs) } }, { service_id: 1 }).lean<Pick<Incident, 'service_id'>[]>();
    const counts = new Map<string, number>();
    for (const { service_id } of recent) counts.set(service_id, (counts.get(service_id) ?? 0) + 1);
    return counts;
  }

  private environmentsByName(): Promise<Map<string, Environment>> {
    if (!this.environments || Date.now() - this.environments.at > ENVIRONMENT_CACHE_MS) {
      const byName = EnvironmentModel.find()
        .lean<Environment[]>()
        .exec()
        .then((list) => new Map(list.map((e) => [e.env_name as string, e])));
      byName.catch(() => (this.environments = null));
      this.environments = { at: Date.now(), byName };
    }
    return this.environments.byName;
  }
}

/** An open incident's write after a check of its service. */
function followUp(incident: Incident, failures: number, streak: number, error: string | null): AnyBulkWriteOperation<Incident> {
  const set = failures > 0 ? { success_streak: 0, failure_count: Math.max(incident.failure_count, failures), ...(error ? { last_error: error } : {}) } : { success_streak: streak };
  return { updateOne: { filter: { incident_id: incident.incident_id, state: { $ne: 'resolved' } }, update: { $set: set } } };
}

/**
 * Stores opened incidents in one write. One whose service had an incident opened meanwhile (by another process: the
 * unique `open_service_id`) is refused; what was stored is then read back rather than told from the error's shape.
 */
async function insertOpened(incidents: Incident[]): Promise<Incident[]> {
  if (incidents.length === 0) return [];
  try {
    await IncidentModel.collection.insertMany(
      incidents.map((i) => ({ ...i })),
      { ordered: false },
    );
    return incidents;
  } catch (error) {
    if (duplicateRefusals(error) === null) throw error;
    const stored = await IncidentModel.find({ incident_id: { $in: incidents.map((i) => i.incident_id) } }, { incident_id: 1 }).lean<Pick<Incident, 'incident_id'>[]>();
    const ids = new Set(stored.map((i) => i.incident_id));
    return incidents.filter((i) => ids.has(i.incident_id));
  }
}

/** Resolves an open incident (guarded: only one resolution wins); null when it was not open. */
export async function resolveIncident(incidentId: string, actor: string, message: string, retentionDays: number, now = new Date()): Promise<Incident | null> {
  const open = await IncidentModel.findOne({ incident_id: incidentId, state: { $ne: 'resolved' } }, { opened_at: 1 }).lean<Pick<Incident, 'opened_at'>>();
  if (!open) return null;
  return IncidentModel.findOneAndUpdate(
    { incident_id: incidentId, state: { $ne: 'resolved' } },
    {
      $set: { state: 'resolved', resolved_at: now, suppressed: null, expires_at: new Date(+now + retentionDays * 86_400_000) },
      $unset: { open_service_id: 1 },
      $push: pushTimeline(timelineEntry('resolved', now, { actor, message })),
    },
    { returnDocument: 'after', projection: { timeline: 0 } },
  ).lean<Incident>();
}
