import type { Model } from 'mongoose';
import type { Logger } from '../common/logger.js';
import { NotificationChannelModel } from '../modules/alerting/channel.model.js';
import { EscalationPolicyModel } from '../modules/alerting/escalation-policy.model.js';
import { IncidentModel } from '../modules/alerting/incident.model.js';
import { NotificationModel } from '../modules/alerting/outbox.model.js';
import { AuditRecordModel } from '../modules/audit/audit.model.js';
import { ApiKeyModel } from '../modules/auth/api-key.model.js';
import { EnvironmentModel } from '../modules/environments/environment.model.js';
import { MonitoringCheckModel } from '../modules/history/history.model.js';
import { UptimeRollupModel } from '../modules/history/uptime-rollup.model.js';
import { HeartbeatModel } from '../modules/heartbeats/heartbeat.model.js';
import { HostModel } from '../modules/hosts/host.model.js';
import { ImportJobModel, ImportJobPartModel } from '../modules/migration/import-job.model.js';
import { ServiceModel } from '../modules/services/service.model.js';

export const models: readonly Model<any>[] = [HostModel, ServiceModel, MonitoringCheckModel, EnvironmentModel, UptimeRollupModel, ApiKeyModel, AuditRecordModel, IncidentModel, NotificationModel, NotificationChannelModel, EscalationPolicyModel, HeartbeatModel, ImportJobModel, ImportJobPartModel];

const NAMESPACE_EXISTS = 48;
/** The same keys exist under another name: the index is there, whoever named it. */
const INDEX_OPTIONS_CONFLICT = 85;

/**
 * MongoDB's default name (`host_id_1`, `service_id_1_timestamp_-1`): the name the
 * seed's pymongo `create_index` calls give, so either tool finds the other's
 * indexes already in place instead of failing on a second name for the same keys.
 */
export function defaultIndexName(keys: Record<string, unknown>): string {
  return Object.entries(keys)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');
}

export interface IndexReport {
  created: string[];
  /** TTL indexes the server refused (FerretDB has none); retention then falls back to a sweep. */
  refused: { collection: string; index: string; reason: string }[];
}

/**
 * Creates every collection and every index the models declare, each by name, so
 * a database the seed's tooling created is upgraded in place. Creating an index
 * that exists is a no-op. A refused TTL index is reported, not fatal; any other
 * refusal (a unique index over duplicates) stops start-up, since data integrity
 * depends on it.
 */
export async function ensureIndexes(logger: Logger): Promise<IndexReport> {
  const report: IndexReport = { created: [], refused: [] };
  for (const model of models) {
    await model.db.createCollection(model.collection.collectionName).catch((error: { code?: number }) => {
      if (error.code !== NAMESPACE_EXISTS) throw error;
    });
    for (const [keys, options] of model.schema.indexes()) {
      const name = defaultIndexName(keys);
      try {
        await model.collection.createIndex(keys as Record<string, 1 | -1>, { ...options, name });
        report.created.push(`${model.collection.collectionName}.${name}`);
      } catch (error) {
        if ((error as { code?: number }).code === INDEX_OPTIONS_CONFLICT) continue;
        if (options.expireAfterSeconds === undefined) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        report.refused.push({ collection: model.collection.collectionName, index: name, reason });
        logger.warn('index refused by the server', { collection: model.collection.collectionName, index: name, reason });
      }
    }
  }
  return report;
}
