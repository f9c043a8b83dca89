import type { ServiceLabels } from '../../events/event-bus.js';
import type { Service } from './service.model.js';

export function serviceLabels(service: Pick<Service, 'environment' | 'region' | 'service_type' | 'alerting'>): ServiceLabels {
  return { environment: service.environment, region: service.region, service_type: service.service_type, severity: service.alerting?.severity ?? 'medium' };
}
