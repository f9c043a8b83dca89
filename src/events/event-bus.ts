import { EventEmitter } from 'node:events';
import type { EnvironmentName, RecoverAction, ServiceStatus, Severity } from '../common/enums.js';

/** What subscribers filter service events by, carried on each event so filtering needs no database read. */
export interface ServiceLabels {
  environment: EnvironmentName;
  region: string;
  service_type: string;
  severity: Severity;
}

export type InventoryChangeKind = 'created' | 'updated' | 'deleted';

/** Every domain event, by name. Adding one here is what makes it publishable and subscribable. */
export interface DomainEvents {
  'service.status-changed': {
    service_id: string;
    host_id: string;
    labels: ServiceLabels;
    previous_status: ServiceStatus;
    status: ServiceStatus;
    history_id: string;
    /** When the check started. */
    at: Date;
    /** When its result was written. */
    recorded_at: Date;
  };
  'check.completed': {
    service_id: string;
    host_id: string;
    labels: ServiceLabels;
    status: ServiceStatus;
    history_id: string;
    /** When the check started. */
    at: Date;
    /** When its result was written. */
    recorded_at: Date;
    /** When it was due by the schedule; null for on-demand checks. */
    due_at: Date | null;
    method: string;
    response_time_ms: number | null;
    tls_days_left: number | null;
    consecutive_failures: number;
    service_name: string;
  };
  'recovery.event': {
    service_id: string;
    host_id: string;
    labels: ServiceLabels;
    /** The check whose failure led to it; null for an operator's recovery without one. */
    history_id: string | null;
    kind: 'attempted' | 'succeeded' | 'failed' | 'gave_up';
    action: RecoverAction | null;
    message: string | null;
    at: Date;
  };
  'host.changed': { host_id: string; kind: InventoryChangeKind; at: Date };
  'service.changed': { service_id: string; host_id: string; kind: InventoryChangeKind; at: Date };
  'api-key.revoked': { key_id: string; at: Date };
  'incident.changed': {
    incident_id: string;
    service_id: string;
    host_id: string;
    environment: EnvironmentName;
    severity: Severity;
    state: 'triggered' | 'acknowledged' | 'resolved';
    kind: IncidentChangeKind;
    at: Date;
  };
  /** An import job moved on (a part arrived, progress, done or failed): subscribers read the job afresh. */
  'import-job.changed': { job_id: string; at: Date };
}

export type IncidentChangeKind = 'opened' | 'acknowledged' | 'resolved' | 'note' | 'suppressed' | 'unsuppressed';

export type DomainEventName = keyof DomainEvents;

/** In-process, typed publish/subscribe. A failing listener is logged by the caller's hook, never breaks the publisher. */
export class EventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(0);
  }

  publish<E extends DomainEventName>(event: E, payload: DomainEvents[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        const result = (listener as (p: DomainEvents[E]) => unknown)(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.onListenerError(event, error));
      } catch (error) {
        this.onListenerError(event, error);
      }
    }
  }

  subscribe<E extends DomainEventName>(event: E, listener: (payload: DomainEvents[E]) => unknown): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
}
