import type { RecoverAction, ServiceStatus } from '../../common/enums.js';
import type { DomainEvents, InventoryChangeKind, ServiceLabels } from '../../events/event-bus.js';
import type { ServiceFilter } from '../services/service.service.js';

/** Every live event has an id (the same when replayed from history) and the time it happened. */
export interface LiveEvent {
  id: string;
  at: Date;
}

export interface StatusChangeEvent extends LiveEvent {
  service_id: string;
  host_id: string;
  /** Absent on a replayed event whose service has been deleted since. */
  labels?: ServiceLabels;
  previous_status: ServiceStatus;
  status: ServiceStatus;
  history_id: string;
}

export interface CheckEvent extends LiveEvent {
  service_id: string;
  host_id: string;
  /** Absent on a replayed event whose service has been deleted since. */
  labels?: ServiceLabels;
  status: ServiceStatus;
  history_id: string;
  due_at: Date | null;
}

export interface RecoveryLiveEvent extends LiveEvent {
  service_id: string;
  host_id: string;
  /** Absent on a replayed event whose service has been deleted since. */
  labels?: ServiceLabels;
  kind: DomainEvents['recovery.event']['kind'];
  action: RecoverAction | null;
  message: string | null;
  history_id: string | null;
}

export interface HostChangeEvent extends LiveEvent {
  host_id: string;
  kind: InventoryChangeKind;
}

export interface ServiceChangeEvent extends LiveEvent {
  service_id: string;
  host_id: string;
  kind: InventoryChangeKind;
}

export type IncidentChangeEvent = LiveEvent & Omit<DomainEvents['incident.changed'], 'at'>;

export interface ImportJobChangeEvent extends LiveEvent {
  job_id: string;
}

export interface KeyRevokedEvent extends LiveEvent {
  key_id: string;
}

/** Live topics, by name; each travels on its own pub/sub channel. */
export interface LiveTopics {
  serviceStatusChanged: StatusChangeEvent;
  checkCompleted: CheckEvent;
  recoveryEvent: RecoveryLiveEvent;
  hostChanged: HostChangeEvent;
  serviceChanged: ServiceChangeEvent;
  apiKeyRevoked: KeyRevokedEvent;
  incidentChanged: IncidentChangeEvent;
  importJobChanged: ImportJobChangeEvent;
}

export type LiveTopic = keyof LiveTopics;

export const LIVE_TOPICS: readonly LiveTopic[] = ['serviceStatusChanged', 'checkCompleted', 'recoveryEvent', 'hostChanged', 'serviceChanged', 'apiKeyRevoked', 'incidentChanged', 'importJobChanged'];

/** The labels a subscriber can select service events by; every given one must match. */
export type ServiceEventFilter = Pick<ServiceFilter, 'service_id' | 'host_id' | 'environment' | 'region' | 'service_type' | 'severity'>;

export function matchesServiceFilter(event: { service_id: string; host_id: string; labels?: ServiceLabels }, filter: ServiceEventFilter = {}): boolean {
  const labels = event.labels;
  return (
    (!filter.service_id || filter.service_id === event.service_id) &&
    (!filter.host_id || filter.host_id === event.host_id) &&
    (!filter.environment || filter.environment === labels?.environment) &&
    (!filter.region || filter.region === labels?.region) &&
    (!filter.service_type || filter.service_type === labels?.service_type) &&
    (!filter.severity || filter.severity === labels?.severity)
  );
}
