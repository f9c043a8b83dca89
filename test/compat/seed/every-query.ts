/**
 * Asks every root query of the committed schema through the real API, selecting every field it can
 * reach (each object type once per path), so every non-null field of every type is read over
 * whatever the database holds. A new root query is covered without touching the tests; one with a
 * required argument of a new name fails until `argumentsFor` knows it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from 'graphql';
import { expect } from 'vitest';
import type { GraphQLResponse, TestApi } from '../../helpers/api.js';

const schema = buildSchema(readFileSync(join(import.meta.dirname, '..', '..', '..', 'schema', 'schema.graphql'), 'utf8'));

export interface QueryIds {
  serviceId: string;
  hostId: string;
  /** An environment that exists, as the API names it (default PRODUCTION). */
  environment?: string;
}

/** Every field of a type, recursively (each object type once per path), so every non-null field is read. */
export function selectAll(type: GraphQLOutputType, seen: readonly string[] = []): string | null {
  const named = getNamedType(type) as GraphQLNamedType;
  if (isLeafType(named)) return '';
  if (!isObjectType(named) || seen.includes(named.name)) return null;
  const fields = Object.values(named.getFields())
    .filter((f: GraphQLField<unknown, unknown>) => f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
    .map((f) => {
      const inner = selectAll(f.type, [...seen, named.name]);
      return inner === null ? null : inner === '' ? f.name : `${f.name} { ${inner} }`;
    })
    .filter((f): f is string => f !== null);
  return fields.join(' ');
}

/** Values for the required arguments of root queries. */
function argumentsFor(field: GraphQLField<unknown, unknown>, ids: QueryIds): string {
  const given: Record<string, string> = {
    serviceId: JSON.stringify(ids.serviceId),
    hostId: JSON.stringify(ids.hostId),
    name: ids.environment ?? 'PRODUCTION',
    // Nothing seed-written has incidents or channels: these ask for one that does not exist (null, not an error).
    incidentId: '"inc_none"',
    channelId: '"ch_none"',
    id: '"job_none"',
  };
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  for (const a of args) if (!(a.name in given)) throw new Error(`Query.${field.name} needs a value for its argument ${a.name}: add it to argumentsFor`);
  return args.length === 0 ? '' : `(${args.map((a) => `${a.name}: ${given[a.name]}`).join(', ')})`;
}

export function expectAnswered(response: GraphQLResponse<Record<string, any>>, what: string) {
  expect(response.errors, `${what}: ${JSON.stringify(response.errors)}`).toBeUndefined();
  expect(response.data, what).toBeTruthy();
}

/**
 * Every root query, once per ids (queries naming a service or host) or once (the others); each must
 * answer without errors, non-null where declared so (and `service`/`host`/`environment`, which name
 * existing documents). Returns the answers by `<query>:<serviceId>`.
 */
export async function askEveryQuery(api: TestApi, ids: [QueryIds, ...QueryIds[]]): Promise<Record<string, any>> {
  const answers: Record<string, any> = {};
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    const selection = selectAll(field.type);
    const variants = field.args.some((a) => a.name === 'serviceId' || a.name === 'hostId') ? ids : [ids[0]];
    for (const id of variants) {
      const text = `{ ${field.name}${argumentsFor(field, id)}${selection ? ` { ${selection} }` : ''} }`;
      const response = await api.request<Record<string, any>, Record<string, never>>(parse(text) as never, {});
      expectAnswered(response, text.slice(0, 200));
      if (!isNonNullType(field.type) && !['service', 'host', 'environment'].includes(field.name)) continue;
      expect(response.data![field.name], field.name).not.toBeNull();
      answers[`${field.name}:${id.serviceId}`] = response.data![field.name];
    }
  }
  expect(Object.keys(answers).length, 'root queries answered').toBeGreaterThanOrEqual(20);
  return answers;
}
