import type { WritableFields } from '../../common/patch.js';
import type { AlertingConfig, HealthCheckConfig, MonitoringConfig, RecoveryConfig } from './service.model.js';

type Partially<T> = { [K in keyof T]?: T[K] };

export interface ServiceInput {
  service_id: string;
  host_id: string;
  service_name: string;
  /** Left out: derived (see defaultServiceType). */
  service_type?: string;
  display_name?: string | null;
  description?: string | null;
  monitoring?: Partially<MonitoringConfig>;
  recovery?: Partially<RecoveryConfig>;
  alerting?: Partially<AlertingConfig>;
  health_check?: Partially<HealthCheckConfig>;
  tags?: string[];
  dependencies?: string[];
}

/** Stored fields that may carry credentials (URL userinfo, secret parameters): read masked, written back with `***`. */
export const CREDENTIAL_FIELDS = ['monitoring.target', 'health_check.endpoint'] as const;
export type CredentialField = (typeof CREDENTIAL_FIELDS)[number];

/**
 * Identity and placement stay fixed: a service that moves host is a new service. `clear_credentials` names
 * the targets whose stored credentials go (a target written without credentials otherwise keeps them).
 */
export type ServicePatch = Partial<Omit<ServiceInput, 'service_id' | 'host_id'>> & { clear_credentials?: readonly CredentialField[] };

export const writableServiceFields: WritableFields = {
  service_name: 'value',
  service_type: 'value',
  display_name: 'value',
  description: 'value',
  monitoring: 'object',
  recovery: 'object',
  alerting: 'object',
  health_check: 'object',
  tags: 'value',
  dependencies: 'value',
};

export const creatableServiceFields: WritableFields = { service_id: 'value', host_id: 'value', ...writableServiceFields };
