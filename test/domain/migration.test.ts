import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createDomain } from '../../src/modules/domain.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { useTestDatabase, expectDomainError } from '../helpers/database.js';

const database = useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', name), 'utf8'));
const options = { environment: 'production' as const, region: 'asia-pacific' };

describe('importing config.json', () => {
  test('makes one host per address and SSH port, one service per target, with the target settings', async () => {
    const summary = await domain.importer.import(fixture('config.json'), options);
    expect(summary.rejected).toEqual([]);
    expect(summary.hosts).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
    expect(summary.services).toMatchObject({ created: 4, updated: 0, unchanged: 0 });

    const hosts = await HostModel.find().sort({ host_id: 1 }).lean();
    expect(hosts.map((h) => h.host_id)).toEqual(['host_10_1_11_81', 'host_10_1_12_10_2222', 'host_2001_db8_12']);
    expect(hosts[0]).toMatchObject({
      hostname: 'jeju-mysql',
      ip_address: '10.1.11.81',
      environment: 'production',
      region: 'asia-pacific',
      ssh_config: { user: 'ubuntu', port: 22, use_sudo: true },
      status: 'active',
    });
    const mysql = await ServiceModel.findOne({ service_id: 'svc_10_1_11_81_mysql_service' }).lean();
    expect(mysql).toMatchObject({
      host_id: 'host_10_1_11_81',
      service_name: 'mysql.service',
      service_type: 'mysql',
      environment: 'production',
      region: 'asia-pacific',
      monitoring: { method: 'ssh', enabled: true, interval_sec: 45, timeout_sec: 30 },
      recovery: { recover_on_down: true, recover_action: 'restart' },
      current_status: 'unknown',
    });
    const pg = await ServiceModel.findOne({ host_id: 'host_2001_db8_12' }).lean();
    expect(pg).toMatchObject({ service_name: 'postgresql@15-main.service', service_type: 'postgresql' });
  });

  test('is idempotent: a second run creates and changes nothing', async () => {
    await domain.importer.import(fixture('config.json'), options);
    const before = await ServiceModel.find().sort({ service_id: 1 }).lean();
    const second = await domain.importer.import(fixture('config.json'), options);
    expect(second.hosts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(second.services).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(await ServiceModel.find().sort({ service_id: 1 }).lean()).toEqual(before);
    expect(await HostModel.countDocuments()).toBe(3);
  });

  test('a changed target updates only the fields the import owns', async () => {
    await domain.importer.import(fixture('config.json'), options);
    await domain.services.muteAlerts('svc_10_1_11_81_mysql_service', new Date('2030-01-01'));
    const config = fixture('config.json');
    config.targets[0].interval_sec = 90;
    const summary = await domain.importer.import(config, options);
    expect(summary.services).toMatchObject({ created: 0, updated: 1, unchanged: 3 });
    const mysql = await domain.services.require('svc_10_1_11_81_mysql_service');
    expect(mysql.monitoring.interval_sec).toBe(90);
    expect(mysql.alerting.mute_until).toEqual(new Date('2030-01-01'));
  });

  test('a new --region moves existing hosts and their services', async () => {
    await domain.importer.import(fixture('config.json'), options);
    const summary = await domain.importer.import(fixture('config.json'), { ...options, region: 'eu-west-1' });
    expect(summary.hosts.updated).toBe(3);
    expect(await ServiceModel.countDocuments({ region: 'eu-west-1' })).toBe(4);
  });

  test('reuses a host created through the API at the same address and port', async () => {
    await domain.hosts.create({
      host_id: 'db-primary',
      hostname: 'jeju-mysql',
      ip_address: '10.1.11.81',
      environment: 'production',
      region: 'asia-pacific',
      ssh_config: { user: 'ubuntu', port: 22, use_sudo: true },
    });
    const summary = await domain.importer.import(fixture('config.json'), options);
    expect(summary.hosts).toMatchObject({ created: 2, unchanged: 1 });
    expect(await ServiceModel.countDocuments({ host_id: 'db-primary' })).toBe(2);
    expect(await HostModel.countDocuments({ ip_address: '10.1.11.81' })).toBe(1);
  });

  test('a dry run reports the plan and writes nothing', async () => {
    const summary = await domain.importer.import(fixture('config.json'), { ...options, dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, hosts: { created: 3 }, services: { created: 4 } });
    expect(await HostModel.countDocuments()).toBe(0);
    expect(await ServiceModel.countDocuments()).toBe(0);
  });

  test('rejects each bad target with its index and field, and still imports the good ones', async () => {
    const summary = await domain.importer.import(fixture('config-with-bad-targets.json'), options);
    const byIndex = (i: number) => summary.rejected.filter((r) => r.index === i).map((r) => r.field);
    expect(byIndex(0)).toEqual([]);
    expect(byIndex(1)).toEqual(['host']);
    expect(byIndex(2)).toContain('service');
    expect(byIndex(3)).toEqual(['ssh.port']);
    expect(byIndex(4)).toEqual(expect.arrayContaining(['method', 'interval_sec']));
    expect(byIndex(5)).toEqual(['ssh.user']);
    expect(byIndex(6)).toEqual(['(target)']);
    expect(summary.rejected.find((r) => r.index === 5)?.message).toMatch(/differs from target 0/);
    expect(summary.hosts.created).toBe(1);
    expect(summary.services.created).toBe(1);
    expect(await ServiceModel.find().lean()).toEqual([expect.objectContaining({ service_name: 'redis-server.service' })]);
  });

  test('refuses a config without targets and bad options before writing anything', async () => {
    await expectDomainError(domain.importer.import({ hosts: [] }, options), 'BAD_USER_INPUT');
    await expectDomainError(domain.importer.import(fixture('config.json'), { environment: 'prod' as never, region: 'x' }), 'BAD_USER_INPUT');
    await expectDomainError(domain.importer.import(fixture('config.json'), { ...options, region: 'bad region;' }), 'BAD_USER_INPUT');
    expect(await HostModel.countDocuments()).toBe(0);
  });
});

describe('the service-monitor-migrate command', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'src', 'bin', 'service-monitor-migrate.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, MONGODB_URI: database.uri, MONGODB_DATABASE: database.name, LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
  const fixturePath = (name: string) => join(import.meta.dirname, '..', 'fixtures', name);

  test('imports, prints a summary, and exits 0; a second run reports everything unchanged', async () => {
    const first = cli(fixturePath('config.json'), '--environment', 'staging', '--region', 'us-east-1');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('hosts:    3 created, 0 updated, 0 unchanged');
    expect(first.stdout).toContain('services: 4 created, 0 updated, 0 unchanged');
    expect(await HostModel.countDocuments({ environment: 'staging', region: 'us-east-1' })).toBe(3);

    const second = cli(fixturePath('config.json'), '--environment', 'staging', '--region', 'us-east-1', '--json');
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ hosts: { unchanged: 3 }, services: { unchanged: 4 } });
  });

  test('exits 1 and names each rejected target when some are bad', () => {
    const run = cli(fixturePath('config-with-bad-targets.json'), '--dry-run');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Dry run (nothing written)');
    expect(run.stdout).toMatch(/targets\[1\] \(bad-address\) host: must be an IPv4 or IPv6 address, got "10\.2\.0\.300"/);
    expect(run.stdout).toMatch(/targets\[3\] \(bad-port\) ssh\.port: must be at most 65535, got 70000/);
    // One message a problem, each naming the field of config.json: the hostile unit is refused once, as `service`.
    expect(run.stdout.match(/targets\[2\] \(hostile-unit\)/g)).toHaveLength(1);
    expect(run.stdout).not.toMatch(/_sec \(|monitoring\.|ssh_config|service_name|Cast to|Path `/);
  });

  test('exits 2 with a readable message for a missing file, bad JSON or bad options', () => {
    const missing = cli('/nonexistent/config.json');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/config\.json/);
    const badEnvironment = cli(fixturePath('config.json'), '--environment', 'qa');
    expect(badEnvironment.status).toBe(2);
    expect(badEnvironment.stderr).toMatch(/environment: must be one of dev, staging, production/);
    const noArgs = cli();
    expect(noArgs.status).toBe(2);
    expect(noArgs.stderr).toMatch(/usage:/);
  });
});
