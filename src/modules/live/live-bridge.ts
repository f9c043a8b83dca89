import { Types } from 'mongoose';
import type { EventBus } from '../../events/event-bus.js';
import type { LiveHub } from './live-hub.js';

const newId = () => new Types.ObjectId().toHexString();

/**
 * Forwards this process's domain events (published once their writes are
 * acknowledged) to the live hub, and so to every process's subscribers.
 * Check events take the history entry's id and the time the result was
 * written, which replay from history reuses (`since` compares with it).
 */
export function bridgeDomainEvents(events: EventBus, hub: LiveHub, onError: (reason: unknown) => void): () => void {
  const send = (promise: Promise<void>) => void promise.catch(onError);
  const stops = [
    events.subscribe('service.status-changed', ({ recorded_at, ...e }) => send(hub.publish('serviceStatusChanged', { ...e, id: e.history_id, at: recorded_at }))),
    // What the metrics read (method, response time...) stays in this process; subscribers get what they always got.
    events.subscribe('check.completed', ({ recorded_at, method: _m, response_time_ms: _r, tls_days_left: _t, consecutive_failures: _c, service_name: _n, ...e }) =>
      send(hub.publish('checkCompleted', { ...e, id: e.history_id, at: recorded_at })),
    ),
    events.subscribe('recovery.event', (e) =>
      send(hub.publish('recoveryEvent', { ...e, id: e.history_id ? `${e.history_id}:${e.kind}` : newId() })),
    ),
    events.subscribe('host.changed', (e) => send(hub.publish('hostChanged', { ...e, id: newId() }))),
    events.subscribe('service.changed', (e) => send(hub.publish('serviceChanged', { ...e, id: newId() }))),
    events.subscribe('api-key.revoked', (e) => send(hub.publish('apiKeyRevoked', { ...e, id: newId() }))),
    events.subscribe('incident.changed', (e) => send(hub.publish('incidentChanged', { ...e, id: newId() }))),
    events.subscribe('import-job.changed', (e) => send(hub.publish('importJobChanged', { ...e, id: newId() }))),
  ];
  return () => stops.forEach((stop) => stop());
}
