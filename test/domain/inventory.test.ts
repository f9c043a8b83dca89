/**
 * Config as code (issue 13 part 4): the inventory exported as YAML or JSON and applied back; export then apply
 * changes nothing; a file's changes are planned (create / update / delete), applied, dry-run, pruned; secrets
 * never leave and `***` keeps them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { freePort } from '../../src/db/local-server.js';
import { inventoryJsonSchema, printInventorySchema } from '../../src/modules/inventory/inventory-schema.js';
import { formatInventory, parseInventory } from '../../src/modules/inventory/inventory-file.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { useTestDatabase } from '../helpers/database.js';
import { domain as createTestDomain, hostInput, serviceInput } from '../helpers/fixtures.js';

const database = useTestDatabase(import.meta.filename);
const domain = createTestDomain();

async function seed() {
  await domain.environments.create({ env_name: 'production', description: 'Live', approval_required: true, status_page: { public: true, title: 'Acme status' } });
  await domain.hosts.create(hostInput({ host_id: 'host_db', hostname: 'db', ssh_config: { user: 'ubuntu', key_path: '/etc/monitor/id_ed25519' } }));
  await domain.hosts.create(hostInput({ host_id: 'host_web', hostname: 'web' }));
  await domain.services.create(serviceInput({ service_id: 'svc_db', host_id: 'host_db', service_name: 'mysql.service' }));
  await domain.services.create(
    serviceInput({ service_id: 'svc_pg', host_id: 'host_db', service_name: 'Postgres', service_type: 'postgres', monitoring: { method: 'database', target: 'postgresql://monitor:s3cret@10.0.0.5:5432/app' } as never }),
  );
  await domain.services.create(serviceInput({ service_id: 'svc_web', host_id: 'host_web', service_name: 'nginx.service', dependencies: ['svc_db'] }));
  await domain.services.muteAlerts('svc_web', new Date('2030-01-01T00:00:00Z'));
  await domain.alerting.channels.create({ name: 'ops-hook', type: 'webhook', url: 'https://hooks.example/ops', secret: 'hmac-s3cret', min_severity: 'high' });
  await domain.alerting.policies.create({ name: 'db-team', steps: [{ after_minutes: 0, channels: ['ops-hook'] }, { after_minutes: 15, channels: ['ops-hook'] }], repeat_every_minutes: 30 });
}

const apply = (text: string, options = { dryRun: false, prune: false }) => domain.inventory.apply(parseInventory(text), options);

describe('export', () => {
  test('every environment, host and service, secrets masked, in YAML and JSON', async () => {
    await seed();
    const file = await domain.inventory.export();
    expect(file.environments.map((e) => e.env_name)).toEqual(['production']);
    expect(file.environments[0]!.status_page).toEqual({ public: true, title: 'Acme status' });
    expect(file.hosts.map((h) => h.host_id)).toEqual(['host_db', 'host_web']);
    expect(file.services.map((s) => s.service_id)).toEqual(['svc_db', 'svc_pg', 'svc_web']);
    expect(file.channels).toEqual([expect.objectContaining({ name: 'ops-hook', type: 'webhook', url: 'https://hooks.example/ops', secret: '***', min_severity: 'high' })]);
    expect(file.escalation_policies).toEqual([{ name: 'db-team', steps: [{ after_minutes: 0, channels: ['ops-hook'] }, { after_minutes: 15, channels: ['ops-hook'] }], repeat_every_minutes: 30 }]);
    const yaml = formatInventory(file, 'yaml');
    const json = formatInventory(file, 'json');
    for (const text of [yaml, json]) {
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('hmac');
      expect(text).not.toContain('/etc/monitor/id_ed25519');
      expect(text).toContain('postgresql://monitor:***@10.0.0.5:5432/app');
    }
    expect(parseInventory(yaml)).toEqual(JSON.parse(json));
  });
});

describe('the JSON Schema for editors', () => {
  test('schema/inventory.schema.json is what the models say (run `npm run schema`), and an export passes it while a typo does not', async () => {
    expect(readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'inventory.schema.json'), 'utf8')).toBe(printInventorySchema());
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(inventoryJsonSchema());
    await seed();
    const exported = JSON.parse(formatInventory(await domain.inventory.export(), 'json'));
    expect(validate(exported), JSON.stringify(validate.errors)).toBe(true);
    exported.services[0].monitoring.intervall_sec = 30;
    exported.hosts[0].environment = 'prod';
    expect(validate(exported)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath).sort()).toEqual(['/hosts/0/environment', '/services/0/monitoring']);
  });
});

describe('apply', () => {
  test('export then apply is a no-op, in either format', async () => {
    await seed();
    const before = await ServiceModel.find().sort({ service_id: 1 }).lean();
    const file = await domain.inventory.export();
    for (const format of ['yaml', 'json'] as const) {
      expect((await apply(formatInventory(file, format), { dryRun: false, prune: true })).changes).toEqual([]);
    }
    const after = await ServiceModel.find().sort({ service_id: 1 }).lean();
    expect(after.map(({ updated_at: _u, ...rest }) => rest)).toEqual(before.map(({ updated_at: _u, ...rest }) => rest));
    expect((await domain.services.require('svc_pg')).monitoring.target).toBe('postgresql://monitor:s3cret@10.0.0.5:5432/app');
    expect((await domain.alerting.channels.list())[0]!.secret).toBe('hmac-s3cret');
  });

  test("an environment's status page round-trips: turned off in the file, the plan names status_page.public and the title stays", async () => {
    await seed();
    const file = await domain.inventory.export();
    (file.environments[0]!.status_page as Record<string, unknown>).public = false;
    const plan = await apply(formatInventory(file, 'yaml'));
    expect(plan.changes).toEqual([{ kind: 'environment', id: 'production', action: 'update', fields: ['status_page.public'], error: null }]);
    expect((await domain.environments.get('production'))!.status_page).toEqual({ public: false, title: 'Acme status' });
    expect((await apply(formatInventory(await domain.inventory.export(), 'json'))).changes).toEqual([]);
  });

  test('a changed file: the plan names each create, update (with its fields) and, with prune, delete; a dry run writes nothing', async () => {
    await seed();
    const file = await domain.inventory.export();
    file.hosts[1]!.region = 'eu-west';
    (file.services[0]!.monitoring as Record<string, unknown>).interval_sec = 120;
    file.services.push({ service_id: 'svc_cache', host_id: 'host_web', service_name: 'redis-server.service', service_type: 'redis' });
    file.services = file.services.filter((s) => s.service_id !== 'svc_pg');
    const text = formatInventory(file, 'yaml');

    const dry = await apply(text, { dryRun: true, prune: true });
    const expected = [
      { kind: 'host', id: 'host_web', action: 'update', fields: ['region'], error: null },
      { kind: 'service', id: 'svc_db', action: 'update', fields: ['monitoring.interval_sec'], error: null },
      { kind: 'service', id: 'svc_cache', action: 'create', fields: [], error: null },
      { kind: 'service', id: 'svc_pg', action: 'delete', fields: [], error: null },
    ];
    expect(dry.changes).toEqual(expected);
    expect(await ServiceModel.countDocuments()).toBe(3);
    expect((await HostModel.findOne({ host_id: 'host_web' }).lean())!.region).toBe('asia-pacific');

    expect((await apply(text, { dryRun: false, prune: true })).changes).toEqual(expected);
    expect((await domain.services.require('svc_db')).monitoring.interval_sec).toBe(120);
    expect((await domain.services.require('svc_web')).region).toBe('eu-west');
    expect(await domain.services.get('svc_pg')).toBeNull();
    expect((await apply(text, { dryRun: false, prune: true })).changes).toEqual([]);
  });

  test('without prune nothing is deleted; a refused change says why and the others apply', async () => {
    await seed();
    const text = formatInventory(
      {
        version: 1,
        environments: [],
        channels: [],
        escalation_policies: [],
        hosts: [{ host_id: 'host_new', hostname: 'new', ip_address: '10.77.0.1', environment: 'dev', region: 'lab' }],
        services: [
          { service_id: 'svc_bad', host_id: 'host_new', service_name: 'Site', monitoring: { method: 'http', target: 'http://10.77.0.1/', interval_sec: 1 } },
          { service_id: 'svc_db', host_id: 'host_web' },
        ],
      },
      'json',
    );
    const plan = await apply(text);
    expect(plan.changes).toEqual([
      { kind: 'host', id: 'host_new', action: 'create', fields: [], error: null },
      { kind: 'service', id: 'svc_bad', action: 'create', fields: [], error: expect.stringMatching(/monitoring\.interval_sec: must be at least 5, got 1/) },
      { kind: 'service', id: 'svc_db', action: 'update', fields: ['host_id'], error: expect.stringMatching(/^host_id: cannot change/) },
    ]);
    expect(await HostModel.countDocuments()).toBe(3);
    expect(await ServiceModel.countDocuments()).toBe(3);
  });

  test('channels and policies: a changed policy and a new channel apply; a channel given *** for a secret it lacks is refused', async () => {
    await seed();
    const file = await domain.inventory.export();
    file.escalation_policies[0]!.repeat_every_minutes = 60;
    file.channels.push({ name: 'pager', type: 'pagerduty', secret: '***' }, { name: 'mail', type: 'email', to: ['oncall@example.com'], from: 'monitor@example.com', smtp_host: 'smtp.example.com', smtp_port: 587 });
    const plan = await apply(formatInventory(file, 'yaml'));
    expect(plan.changes).toEqual([
      { kind: 'channel', id: 'pager', action: 'create', fields: [], error: expect.stringMatching(/^secret: \*\*\* stands for a stored secret/) },
      { kind: 'channel', id: 'mail', action: 'create', fields: [], error: null },
      { kind: 'escalation_policy', id: 'db-team', action: 'update', fields: ['repeat_every_minutes'], error: null },
    ]);
    expect((await domain.alerting.policies.get('db-team'))!.repeat_every_minutes).toBe(60);
  });

  test('hostile files: an alias bomb is refused at once, an unknown or __proto__ field is refused by the entry it is in', async () => {
    const bomb = ['version: 1', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const started = Date.now();
    expect(() => parseInventory(bomb)).toThrow(/document: is not YAML or JSON/);
    expect(Date.now() - started).toBeLessThan(1_000);
    const plan = await apply('version: 1\nhosts:\n  - { host_id: host_x, hostname: x, ip_address: 10.90.0.1, environment: dev, region: lab, owner: me, __proto__: { admin: true } }\n');
    expect(plan.changes).toEqual([{ kind: 'host', id: 'host_x', action: 'create', fields: [], error: expect.stringMatching(/owner|__proto__/) }]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(await HostModel.countDocuments({ host_id: 'host_x' })).toBe(0);
  });

  test('what is not an inventory file is refused naming the part', () => {
    expect(() => parseInventory('version: 2\nhosts: {}\nextra: 1\n')).toThrow(/version: must be 1, got 2; hosts: must be a list of objects; extra: is not a part of an inventory file/);
    expect(() => parseInventory('a: [')).toThrow(/document: is not YAML or JSON/);
  });
});

describe('the service-monitor-inventory command', () => {
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'src', 'bin', 'service-monitor-inventory.js'), ...args], { encoding: 'utf8', env, timeout: 60_000 });
  const withDatabase = () => ({ ...process.env, MONGODB_URI: database.uri, MONGODB_DATABASE: database.name, LOG_LEVEL: 'warn' });

  test('export to a file, apply it back (nothing to change), then a changed file: a dry run prints the plan, apply makes it', async () => {
    await seed();
    const dir = mkdtempSync(join(tmpdir(), 'inventory-'));
    const file = join(dir, 'inventory.yaml');
    expect(cli(withDatabase(), 'export', '--output', file).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^version: 1\nenvironments:/);
    const same = cli(withDatabase(), 'apply', file, '--prune');
    expect([same.status, same.stdout]).toEqual([0, 'Nothing to change: the inventory is as the file says.\n']);
    expect(same.stderr).toMatch(/^service-monitor-inventory: applying to mongodb:\/\/.* \(MONGODB_URI\), database /);

    writeFileSync(file, readFileSync(file, 'utf8').replace('hostname: web', 'hostname: web-01'));
    const dry = cli(withDatabase(), 'apply', file, '--dry-run');
    expect([dry.status, dry.stdout]).toEqual([0, '~ host host_web (hostname)\n1 change(s) would be made (dry run, nothing written).\n']);
    expect((await HostModel.findOne({ host_id: 'host_web' }).lean())!.hostname).toBe('web');
    expect(cli(withDatabase(), 'apply', file).stdout).toBe('~ host host_web (hostname)\n1 change(s) made.\n');
    expect((await HostModel.findOne({ host_id: 'host_web' }).lean())!.hostname).toBe('web-01');

    const json = cli(withDatabase(), 'export', '--format', 'json');
    expect(JSON.parse(json.stdout).hosts).toHaveLength(2);
  });

  test('without a database to use it refuses rather than start its own; bad arguments exit 2', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, EMBEDDED_DB_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    for (const key of Object.keys(env)) if (key.startsWith('MONGODB_')) delete env[key];
    const refused = cli(env, 'export');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^service-monitor-inventory: no database to use: MONGODB_URI is not set/);
    expect(cli(withDatabase(), 'apply').status).toBe(2);
    expect(cli(withDatabase(), 'export', '--format', 'toml').stderr).toMatch(/--format must be yaml or json/);
    expect(cli(withDatabase(), 'apply', '/nonexistent.yaml').stderr).toMatch(/cannot read \/nonexistent\.yaml/);
  });
});
