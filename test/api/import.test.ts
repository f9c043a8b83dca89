/**
 * importConfig over the API: an old config.json imported by an admin, idempotent
 * on a second run, a dry run that writes nothing, each bad target reported once
 * with all its problems while the good ones import, unknown fields warned of,
 * no default environment, bad options refused, and roles enforced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { HostsDocument, ImportConfigDocument, ServicesDocument } from '../graphql/generated.js';
import type { ImportConfigMutationVariables } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

const fixture = (name: string): { targets: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', name), 'utf8')) as { targets: Record<string, unknown>[] };

const HOST_IDS = ['host_10_1_11_81', 'host_10_1_12_10_2222', 'host_2001_db8_12'];
const SERVICE_IDS = ['svc_10_1_11_81_mysql_service', 'svc_10_1_11_81_mysqld_exporter_service', 'svc_10_1_12_10_2222_nginx_service', 'svc_2001_db8_12_postgresql_15_main_service'];

type ImportInput = ImportConfigMutationVariables['input'];

async function inventory() {
  const [{ hosts }, { services }] = await Promise.all([
    api.data(HostsDocument, { first: 50 }, { as: 'viewer' }),
    api.data(ServicesDocument, { first: 50 }, { as: 'viewer' }),
  ]);
  return { hosts: hosts.edges.map((e) => e.node), services: services.edges.map((e) => e.node) };
}

describe('importConfig', () => {
  test('an admin imports config.json; a second run changes nothing', async () => {
    const input: ImportInput = { config: fixture('config.json'), environment: 'STAGING', region: 'us-east-1' };
    const { importConfig: first } = await api.data(ImportConfigDocument, { input }, { as: 'admin' });
    expect(first).toEqual({
      dryRun: false,
      targets: 4,
      hosts: { created: 3, updated: 0, unchanged: 0, ids: expect.arrayContaining(HOST_IDS) },
      services: { created: 4, updated: 0, unchanged: 0, ids: expect.arrayContaining(SERVICE_IDS) },
      rejected: [],
      warnings: [],
    });
    expect(first.hosts.ids).toHaveLength(3);
    expect(first.services.ids).toHaveLength(4);

    const after = await inventory();
    expect(after.hosts.map((h) => h.hostId).sort()).toEqual([...HOST_IDS].sort());
    expect(after.hosts.every((h) => h.environment === 'STAGING' && h.region === 'us-east-1')).toBe(true);
    expect(after.hosts.find((h) => h.hostId === 'host_10_1_12_10_2222')).toMatchObject({
      ipAddress: '10.1.12.10',
      hostname: 'seoul-web',
      sshConfig: { user: 'deploy', port: 2222, useSudo: false },
    });
    expect(after.services.map((s) => s.serviceId).sort()).toEqual([...SERVICE_IDS].sort());
    expect(after.services.find((s) => s.serviceId === 'svc_10_1_11_81_mysql_service')).toMatchObject({
      hostId: 'host_10_1_11_81',
      serviceName: 'mysql.service',
      serviceType: 'mysql',
      environment: 'STAGING',
      region: 'us-east-1',
      monitoring: { method: 'SSH', intervalSec: 45 },
      recovery: { recoverOnDown: true, recoverAction: 'RESTART' },
    });
    expect(after.services.find((s) => s.serviceId === 'svc_2001_db8_12_postgresql_15_main_service')).toMatchObject({ serviceType: 'postgresql' });

    const { importConfig: second } = await api.data(ImportConfigDocument, { input });
    expect(second).toMatchObject({
      dryRun: false,
      targets: 4,
      hosts: { created: 0, updated: 0, unchanged: 3 },
      services: { created: 0, updated: 0, unchanged: 4 },
      rejected: [],
    });
    expect([...second.hosts.ids].sort()).toEqual([...first.hosts.ids].sort());
    expect([...second.services.ids].sort()).toEqual([...first.services.ids].sort());
    const again = await inventory();
    expect(again.hosts.map((h) => h.updatedAt)).toEqual(after.hosts.map((h) => h.updatedAt));
    expect(again.services.map((s) => s.updatedAt)).toEqual(after.services.map((s) => s.updatedAt));
  });

  test('a changed target updates only what changed', async () => {
    const config = fixture('config.json');
    await api.data(ImportConfigDocument, { input: { config, environment: 'PRODUCTION' } });
    config.targets[2]!.interval_sec = 90;
    const { importConfig } = await api.data(ImportConfigDocument, { input: { config, environment: 'PRODUCTION' } });
    expect(importConfig).toMatchObject({ hosts: { created: 0, updated: 0, unchanged: 3 }, services: { created: 0, updated: 1, unchanged: 3 } });
    const { services } = await inventory();
    expect(services.find((s) => s.serviceId === 'svc_10_1_12_10_2222_nginx_service')!.monitoring.intervalSec).toBe(90);
  });

  test('defaults: region "default", dryRun false', async () => {
    const { importConfig } = await api.data(ImportConfigDocument, { input: { config: fixture('config.json'), environment: 'PRODUCTION' } });
    expect(importConfig.dryRun).toBe(false);
    const { hosts } = await inventory();
    expect(new Set(hosts.map((h) => `${h.environment}/${h.region}`))).toEqual(new Set(['PRODUCTION/default']));
  });

  test('no default environment: left out or null, it is BAD_USER_INPUT on `environment`, and nothing is written', async () => {
    for (const input of [{ config: fixture('config.json') }, { config: fixture('config.json'), environment: null }]) {
      const response = await api.request(ImportConfigDocument, { input });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.fields).toEqual([{ path: 'environment', message: expect.stringMatching(/^is required: config\.json does not say/) }]);
      expect(response.data ?? null).toBeNull();
    }
    expect(await inventory()).toEqual({ hosts: [], services: [] });
  });

  test('a dry run reports what would change and writes nothing', async () => {
    const input: ImportInput = { config: fixture('config.json'), dryRun: true, environment: 'DEV', region: 'eu-west-1' };
    const { importConfig } = await api.data(ImportConfigDocument, { input });
    expect(importConfig).toMatchObject({
      dryRun: true,
      targets: 4,
      hosts: { created: 3, updated: 0, unchanged: 0 },
      services: { created: 4, updated: 0, unchanged: 0 },
      rejected: [],
    });
    const after = await inventory();
    expect(after).toEqual({ hosts: [], services: [] });

    // Against an existing inventory, a dry run reports the update but leaves it undone.
    await api.data(ImportConfigDocument, { input: { ...input, dryRun: false } });
    const changed = fixture('config.json');
    changed.targets[0]!.interval_sec = 120;
    const { importConfig: dry } = await api.data(ImportConfigDocument, { input: { ...input, config: changed } });
    expect(dry).toMatchObject({ dryRun: true, services: { created: 0, updated: 1, unchanged: 3 } });
    const { services } = await inventory();
    expect(services.find((s) => s.serviceId === 'svc_10_1_11_81_mysql_service')!.monitoring.intervalSec).toBe(45);
  });

  test('bad targets come back in `rejected`, one entry a target with all its problems, while good ones import', async () => {
    const input: ImportInput = { config: fixture('config-with-bad-targets.json'), environment: 'PRODUCTION', region: 'eu-west-1' };
    const { importConfig } = await api.data(ImportConfigDocument, { input });
    expect(importConfig.targets).toBe(7);
    expect(importConfig.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    const at = (i: number) => importConfig.rejected.find((r) => r.index === i)!;
    expect(at(1)).toEqual({ index: 1, name: 'bad-address', problems: [{ field: 'host', message: expect.stringContaining('10.2.0.300') }] });
    expect(at(2)).toEqual({ index: 2, name: 'hostile-unit', problems: [{ field: 'service', message: expect.stringContaining('nginx; rm -rf /') }] });
    expect(at(3)).toEqual({ index: 3, name: 'bad-port', problems: [{ field: 'ssh.port', message: 'must be at most 65535, got 70000' }] });
    expect(at(4)).toEqual({
      index: 4,
      name: 'bad-method',
      problems: [
        { field: 'method', message: expect.stringContaining('"telnet"') },
        { field: 'interval_sec', message: 'must be at least 5, got 1' },
      ],
    });
    expect(at(5)).toEqual({ index: 5, name: 'good-redis', problems: [{ field: 'ssh.user', message: expect.stringMatching(/differs from target 0/) }] });
    expect(at(6)).toEqual({ index: 6, name: null, problems: [{ field: '(target)', message: 'must be an object' }] });
    expect(importConfig.warnings).toEqual([]);
    expect(importConfig.hosts).toMatchObject({ created: 1, ids: ['host_10_2_0_5'] });
    expect(importConfig.services).toMatchObject({ created: 1, ids: ['svc_10_2_0_5_redis_server_service'] });

    const { hosts, services } = await inventory();
    expect(hosts.map((h) => h.hostId)).toEqual(['host_10_2_0_5']);
    expect(services.map((s) => s.serviceName)).toEqual(['redis-server.service']);
  });

  test('fields config.json does not have are imported without and come back in `warnings`, one entry a target', async () => {
    const config = fixture('config.json');
    config.targets[1]!.tags = ['db'];
    config.targets[1]!.ssh = { user: 'ubuntu', port: 22, password: 'hunter2' };
    config.targets[3]!.serviceType = 'postgres';
    const { importConfig } = await api.data(ImportConfigDocument, { input: { config, environment: 'DEV' } });
    expect(importConfig).toMatchObject({ rejected: [], services: { created: 4 } });
    expect(importConfig.warnings).toEqual([
      {
        index: 1,
        name: 'jeju-mysql',
        problems: [
          { field: 'tags', message: 'not a config.json field; ignored' },
          { field: 'ssh.password', message: 'not a config.json field; ignored' },
        ],
      },
      { index: 3, name: 'seoul-pg', problems: [{ field: 'serviceType', message: 'not a config.json field; ignored' }] },
    ]);
    const { services } = await inventory();
    expect(services.find((s) => s.serviceId === 'svc_2001_db8_12_postgresql_15_main_service')).toMatchObject({ serviceType: 'postgresql' });
  });

  test('an invalid region is BAD_USER_INPUT on `region`, and nothing is written', async () => {
    const response = await api.request(ImportConfigDocument, { input: { config: fixture('config.json'), environment: 'PRODUCTION', region: 'bad region;' } });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.fields).toEqual([{ path: 'region', message: expect.stringContaining('bad region;') }]);
    expect(response.data ?? null).toBeNull();
    expect(await inventory()).toEqual({ hosts: [], services: [] });
  });

  test('a config without a targets array is BAD_USER_INPUT on `targets`', async () => {
    for (const config of [{ hosts: [] }, [], 'targets', { targets: 'all' }]) {
      const response = await api.request(ImportConfigDocument, { input: { config, environment: 'PRODUCTION' } });
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(config)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.fields?.map((f) => f.path)).toEqual(['targets']);
    }
    expect(await inventory()).toEqual({ hosts: [], services: [] });
  });

  test('an unknown environment literal is refused before anything runs', async () => {
    const response = await api.post(
      { query: 'mutation ($config: JSON!) { importConfig(input: { config: $config, environment: QA }) { targets } }', variables: { config: fixture('config.json') } },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await inventory()).toEqual({ hosts: [], services: [] });
  });

  test('operators and viewers are FORBIDDEN, and nothing is written', async () => {
    for (const as of ['operator', 'viewer'] as const) {
      const response = await api.request(ImportConfigDocument, { input: { config: fixture('config.json') } }, { as });
      expect(response.errors?.[0]?.extensions?.code, as).toBe('FORBIDDEN');
      expect(response.errors![0]!.path).toEqual(['importConfig']);
      expect(response.data ?? null).toBeNull();
    }
    const anonymous = await api.request(ImportConfigDocument, { input: { config: fixture('config.json') } }, { as: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await inventory()).toEqual({ hosts: [], services: [] });
  });
});
