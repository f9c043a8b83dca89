/**
 * The JSON Schema of an inventory file (schema/inventory.schema.json, written by `npm run schema`), for editors:
 * taken from the models themselves, so it follows them. Closed vocabularies are named here from the same lists the
 * models check against; the models still judge every value when a file is applied.
 */
import type { Model, Schema, SchemaType } from 'mongoose';
import { ALERT_CHANNELS, CHECK_METHODS, ENVIRONMENTS, HOST_STATUSES, RECOVER_ACTIONS, SEVERITIES, WEEKDAYS } from '../../common/enums.js';
import { CHANNEL_TYPES, NotificationChannelModel } from '../alerting/channel.model.js';
import { EscalationPolicyModel } from '../alerting/escalation-policy.model.js';
import { EnvironmentModel } from '../environments/environment.model.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel } from '../services/service.model.js';
import { ENTRY_FIELDS, INVENTORY_VERSION } from './inventory-file.js';

type JsonSchema = Record<string, unknown>;

const ENUMS: Readonly<Record<string, readonly string[]>> = {
  env_name: ENVIRONMENTS,
  environment: ENVIRONMENTS,
  alert_severity: SEVERITIES,
  status: HOST_STATUSES,
  'monitoring.method': CHECK_METHODS,
  'recovery.recover_action': RECOVER_ACTIONS,
  'alerting.severity': SEVERITIES,
  'alerting.channels': ALERT_CHANNELS,
  'maintenance_window.day': WEEKDAYS,
  type: CHANNEL_TYPES,
  min_severity: SEVERITIES,
};

export function inventoryJsonSchema(): JsonSchema {
  const entries = (model: Model<any>, fields: readonly string[], id: string) => ({ type: 'array', items: { ...objectSchema(model.schema, fields, ''), required: [id] } });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://service-monitor.example/schema/inventory.schema.json',
    title: 'service-monitor inventory',
    description: 'What service-monitor-inventory export writes and apply reads: the stored (seed) field names; *** keeps a stored secret.',
    type: 'object',
    additionalProperties: false,
    required: ['version'],
    properties: {
      version: { const: INVENTORY_VERSION },
      environments: entries(EnvironmentModel, ENTRY_FIELDS.environment, 'env_name'),
      channels: { type: 'array', items: { ...channelSchema(), required: ['name'] } },
      escalation_policies: entries(EscalationPolicyModel, ENTRY_FIELDS.escalation_policy, 'name'),
      hosts: entries(HostModel, ENTRY_FIELDS.host, 'host_id'),
      services: entries(ServiceModel, ENTRY_FIELDS.service, 'service_id'),
    },
  };
}

/** A channel entry is flat (as its create takes it): the model's own fields and its settings' side by side. */
function channelSchema(): JsonSchema {
  const own = objectSchema(NotificationChannelModel.schema, ENTRY_FIELDS.channel, '') as { properties: Record<string, JsonSchema> };
  const settings = NotificationChannelModel.schema.path('settings') as SchemaType & { schema: Schema };
  const flat = objectSchema(settings.schema, ENTRY_FIELDS.channel, '') as { properties: Record<string, JsonSchema> };
  return { type: 'object', additionalProperties: false, properties: { ...own.properties, ...flat.properties, secret: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'Write-only: *** keeps the stored one.' } } };
}

function objectSchema(schema: Schema, fields: readonly string[] | null, prefix: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  schema.eachPath((path, type) => {
    if (path.includes('.') || path === '_id' || (fields && !fields.includes(path))) return;
    properties[path] = valueSchema(type, `${prefix}${path}`);
  });
  return { type: 'object', additionalProperties: false, properties };
}

function valueSchema(type: SchemaType, path: string): JsonSchema {
  const nested = (type as SchemaType & { schema?: Schema }).schema;
  const nullable = (schema: JsonSchema): JsonSchema => (type.options?.default === null ? { anyOf: [schema, { type: 'null' }] } : schema);
  if (type.instance === 'Embedded' && nested) return nullable(objectSchema(nested, null, `${path}.`));
  if (type.instance === 'Array') {
    const caster = (type as SchemaType & { caster?: SchemaType }).caster;
    const values = ENUMS[path];
    if (nested) return { type: 'array', items: objectSchema(nested, null, `${path}.`) };
    return { type: 'array', items: values ? { enum: [...values] } : caster?.instance ? scalarSchema(caster.instance) : {} };
  }
  const values = ENUMS[path];
  return nullable(values ? { enum: [...values] } : scalarSchema(type.instance));
}

function scalarSchema(instance: string): JsonSchema {
  switch (instance) {
    case 'String':
      return { type: 'string' };
    case 'Number':
      return { type: 'number' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: 'date-time' };
    default:
      return {};
  }
}

export const printInventorySchema = () => `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
