import { createHash, randomBytes } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import { HeartbeatModel, type Heartbeat, type PingKind } from './heartbeat.model.js';

/** What a job's ping says: its run began, or it ended (well or not, with an exit code and output if sent). */
export type PingSignal = { kind: 'start' } | { kind: PingKind; exitCode: number | null; output: string | null };

/** Characters of a job's output kept with its ping. */
export const PING_OUTPUT_MAX_CHARS = 10_000;

/** 24 random bytes, base64url: 32 characters, 192 bits. */
export const PING_TOKEN = /^[A-Za-z0-9_-]{32}$/;

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Heartbeat (push) services: their ping URLs and what their jobs said. */
export class HeartbeatService {
  constructor(events: EventBus) {
    events.subscribe('service.changed', ({ service_id, kind }) => {
      if (kind === 'deleted') void HeartbeatModel.deleteOne({ service_id }).catch(() => {});
    });
  }

  /** A new ping URL token for a heartbeat service; the one before stops working. Shown once: only its hash is kept. */
  async issueToken(serviceId: string, now = new Date()): Promise<{ token: string; issuedAt: Date }> {
    const service = await ServiceModel.findOne({ service_id: serviceId }, { monitoring: 1 }).lean<Pick<Service, 'monitoring'>>();
    if (!service) throw new NotFoundError('service', serviceId);
    if (service.monitoring?.method !== 'heartbeat') {
      throw InvalidInputError.single('serviceId', `service '${serviceId}' is checked by ${service.monitoring?.method ?? 'an unknown method'}, not heartbeat: only heartbeat services are pinged`);
    }
    const token = randomBytes(24).toString('base64url');
    await HeartbeatModel.updateOne({ service_id: serviceId }, { $set: { token_hash: tokenHash(token), issued_at: now } }, { upsert: true, setDefaultsOnInsert: true });
    return { token, issuedAt: now };
  }

  /**
   * Stores a ping; the service it was for, or null for a token no heartbeat service has (a service deleted, or
   * checked otherwise now, loses its URL here).
   */
  async record(token: string, signal: PingSignal, now = new Date()): Promise<string | null> {
    if (!PING_TOKEN.test(token)) return null;
    const hash = tokenHash(token);
    const heartbeat = await HeartbeatModel.findOne({ token_hash: hash }, { service_id: 1 }).lean<Pick<Heartbeat, 'service_id'>>();
    if (!heartbeat) return null;
    if (!(await ServiceModel.exists({ service_id: heartbeat.service_id, 'monitoring.method': 'heartbeat' }))) {
      await HeartbeatModel.deleteOne({ token_hash: hash });
      return null;
    }
    const update =
      signal.kind === 'start'
        ? { started_at: now }
        : { last_ping_at: now, last_ping_kind: signal.kind, last_exit_code: signal.exitCode, last_output: signal.output?.slice(0, PING_OUTPUT_MAX_CHARS) ?? null };
    // By the hash again: a URL issued anew meanwhile makes this one void.
    const { matchedCount } = await HeartbeatModel.updateOne({ token_hash: hash }, { $set: update });
    return matchedCount > 0 ? heartbeat.service_id : null;
  }

  async ofServices(serviceIds: readonly string[]): Promise<Map<string, Heartbeat>> {
    const heartbeats = await HeartbeatModel.find({ service_id: { $in: serviceIds } }).lean<Heartbeat[]>();
    return new Map(heartbeats.map((h) => [h.service_id, h]));
  }
}
