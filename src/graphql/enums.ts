import { registerEnumType } from 'type-graphql';
import {
  ALERT_CHANNELS,
  CHECK_METHODS,
  CHECK_TYPES,
  ENVIRONMENTS,
  HOST_STATUSES,
  RECOVER_ACTIONS,
  SERVICE_STATUSES,
  SEVERITIES,
  WEEKDAYS,
} from '../common/enums.js';
import { ROLES } from '../modules/auth/roles.js';

/**
 * GraphQL enums over the seed's stored strings: `PRODUCTION` in the API is
 * `production` in the database, so documents keep the seed's values.
 */
export function graphqlEnum<T extends string>(values: readonly T[], name: string, description: string): Record<string, T> {
  const enumObject = Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as Record<string, T>;
  registerEnumType(enumObject, { name, description });
  return enumObject;
}

export const EnvironmentEnum = graphqlEnum(ENVIRONMENTS, 'EnvironmentName', 'Deployment environment.');
export const HostStatusEnum = graphqlEnum(HOST_STATUSES, 'HostStatus', 'Operational status of a host; services of hosts not ACTIVE are not checked.');
export const ServiceStatusEnum = graphqlEnum(SERVICE_STATUSES, 'ServiceStatus', 'Status a check found a service in.');
export const CheckMethodEnum = graphqlEnum(CHECK_METHODS, 'CheckMethod', 'How a service is checked.');
export const RecoverActionEnum = graphqlEnum(RECOVER_ACTIONS, 'RecoverAction', 'What recovery does to a down service.');
export const SeverityEnum = graphqlEnum(SEVERITIES, 'Severity', 'Alert severity.');
export const AlertChannelEnum = graphqlEnum(ALERT_CHANNELS, 'AlertChannel', 'Where alerts are sent.');
export const CheckTypeEnum = graphqlEnum(CHECK_TYPES, 'CheckType', 'Kind of check a history entry records.');
export const WeekdayEnum = graphqlEnum(WEEKDAYS, 'Weekday', 'Day of the week.');
export const RoleEnum = graphqlEnum(ROLES, 'Role', 'What an API key may do: VIEWER reads, OPERATOR also operates monitoring, ADMIN also changes inventory and keys.');
