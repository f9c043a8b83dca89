import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { createDomain } from '../../src/modules/domain.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import type { InvalidInputError } from '../../src/common/errors.js';
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

  test('a rerun validates only what changed: a target made invalid is rejected, the rest stay unchanged', async () => {
    await domain.importer.import(fixture('config.json'), options);
    const config = fixture('config.json');
    config.targets[0].interval_sec = 1;
    const summary = await domain.importer.import(config, options);
    expect(summary.rejected).toEqual([{ index: 0, name: config.targets[0].name, problems: [{ field: 'interval_sec', message: 'must be at least 5, got 1' }] }]);
    expect(summary.services).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect((await domain.services.require('svc_10_1_11_81_mysql_service')).monitoring.interval_sec).not.toBe(1);
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

  test('rejects each bad target once, with its index and fields, and still imports the good ones', async () => {
    const summary = await domain.importer.import(fixture('config-with-bad-targets.json'), options);
    expect(summary.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    const fieldsOf = (i: number) => summary.rejected.find((r) => r.index === i)!.problems.map((p) => p.field);
    expect(fieldsOf(1)).toEqual(['host']);
    expect(fieldsOf(2)).toEqual(['service']);
    expect(fieldsOf(3)).toEqual(['ssh.port']);
    expect(fieldsOf(4)).toEqual(['method', 'interval_sec']);
    expect(fieldsOf(5)).toEqual(['ssh.user']);
    expect(fieldsOf(6)).toEqual(['(target)']);
    expect(summary.rejected.find((r) => r.index === 5)).toEqual({ index: 5, name: 'good-redis', problems: [{ field: 'ssh.user', message: expect.stringMatching(/differs from target 0/) }] });
    expect(summary.rejected.find((r) => r.index === 6)).toEqual({ index: 6, name: null, problems: [{ field: '(target)', message: 'must be an object' }] });
    expect(summary.warnings).toEqual([]);
    expect(summary.hosts.created).toBe(1);
    expect(summary.services.created).toBe(1);
    expect(await ServiceModel.find().lean()).toEqual([expect.objectContaining({ service_name: 'redis-server.service' })]);
  });

  test('a target with many problems is one rejection listing all of them, in config.json field order and names', async () => {
    const ok = { name: 'db-1', host: '10.0.0.9', ssh: { user: 'ubuntu' }, service: 'mysql.service' };
    const config = {
      targets: [
        { ...ok, service: 'nginx; rm -rf /' },
        { ...ok, service: `${'u'.repeat(80)}.service` },
        { name: '', host: '10.0.0.300', ssh: { user: '', port: -1 }, service: '.x', method: 'pigeon', interval_sec: 'soon', recover_on_down: 'maybe', recover_action: 'reboot' },
      ],
    };
    const summary = await domain.importer.import(config, { ...options, dryRun: true });
    expect(summary.rejected).toHaveLength(3);
    expect(summary.rejected[0]).toEqual({ index: 0, name: 'db-1', problems: [{ field: 'service', message: expect.stringContaining('nginx; rm -rf /') }] });
    expect(summary.rejected[1]!.problems.map((p) => p.field)).toEqual(['service']);
    expect(summary.rejected[2]!.problems.map((p) => p.field)).toEqual(['name', 'host', 'ssh.user', 'ssh.port', 'service', 'method', 'interval_sec', 'recover_on_down', 'recover_action']);
    const CONFIG_FIELDS = ['(target)', 'name', 'host', 'ssh.user', 'ssh.port', 'service', 'method', 'interval_sec', 'recover_on_down', 'recover_action', 'use_sudo'];
    for (const problem of summary.rejected.flatMap((r) => r.problems)) expect(CONFIG_FIELDS).toContain(problem.field);
  });

  test('fields the old monitor never read are imported without, and listed as warnings per target', async () => {
    const config = fixture('config.json');
    config.targets[0].intervall_sec = 30;
    config.targets[0].ssh.password = 'hunter2';
    config.targets[2].tags = ['web'];
    const summary = await domain.importer.import(config, options);
    expect(summary.rejected).toEqual([]);
    expect(summary.services.created).toBe(4);
    expect(summary.warnings).toEqual([
      { index: 0, name: 'jeju-mysql', problems: [{ field: 'intervall_sec', message: 'not a config.json field; ignored' }, { field: 'ssh.password', message: 'not a config.json field; ignored' }] },
      { index: 2, name: 'seoul-web', problems: [{ field: 'tags', message: 'not a config.json field; ignored' }] },
    ]);
    expect(JSON.stringify(await HostModel.find().lean())).not.toContain('hunter2');
  });

  test('without MONGODB_URI or a server running the embedded database it refuses, unless told to start its own', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'migrate-own-'));
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', EMBEDDED_DB_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    for (const key of Object.keys(env)) if (key.startsWith('MONGODB_')) delete env[key];
    const run = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'src', 'bin', 'service-monitor-migrate.js'), join(import.meta.dirname, '..', 'fixtures', 'config.json'), '--environment', 'dev', ...args], { encoding: 'utf8', env, timeout: 60_000 });
    const refused = run();
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^service-monitor-migrate: no database to use: MONGODB_URI is not set and no server's embedded database answers on 127\.0\.0\.1:\d+ \(EMBEDDED_DB_PORT\)\. Start the server first \(npm start\) or set MONGODB_URI\. Or pass --own-database to start an embedded database with its data in /);
    const own = run('--own-database');
    expect(own.status).toBe(0);
    expect(own.stderr.split('\n')[0]).toMatch(new RegExp(`^service-monitor-migrate: writing to mongodb://127\\.0\\.0\\.1:\\d+/ \\(an embedded mongo-java-server started here, data in ${dataDir.replace(/[.]/g, '\\.')}\\), database service_monitor$`));
    expect(own.stdout).toContain('services: 4 created');
    rmSync(dataDir, { recursive: true, force: true });
  }, 90_000);

  test('has no default environment: left out, the import is refused naming `environment`', async () => {
    for (const environment of [undefined, null]) {
      const error = await expectDomainError<InvalidInputError>(domain.importer.import(fixture('config.json'), { region: 'r', environment }), 'BAD_USER_INPUT');
      expect(error.problems).toEqual([{ field: 'environment', message: expect.stringMatching(/^is required: config\.json does not say/) }]);
    }
    expect(await HostModel.countDocuments()).toBe(0);
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
    // Where it writes, then each phase's end (stderr is not a terminal here: lines, not a bar).
    expect(first.stderr.split('\n')[0]).toBe(`service-monitor-migrate: writing to ${database.uri.replace(/\/$/, '')}/ (MONGODB_URI), database ${database.name}`);
    expect(first.stderr).toMatch(/\nservice-monitor-migrate: checking targets: 4 of 4, done \(\d+\.\d s\)\n/);
    expect(first.stderr).toMatch(/\nservice-monitor-migrate: writing services: 4 of 4, done/);
    expect(first.stderr).not.toMatch(/error|warn/i);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('hosts:    3 created, 0 updated, 0 unchanged');
    expect(first.stdout).toContain('services: 4 created, 0 updated, 0 unchanged');
    expect(await HostModel.countDocuments({ environment: 'staging', region: 'us-east-1' })).toBe(3);

    const second = cli(fixturePath('config.json'), '--environment', 'staging', '--region', 'us-east-1', '--json');
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ hosts: { unchanged: 3 }, services: { unchanged: 4 } });
  });

  test('exits 1 and names each rejected target once, all its problems on one line', () => {
    const run = cli(fixturePath('config-with-bad-targets.json'), '--environment', 'production', '--dry-run');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Dry run (nothing written)');
    expect(run.stdout).toContain('rejected: 6 target(s)');
    expect(run.stdout).toMatch(/targets\[1\] \(bad-address\) host: must be an IPv4 or IPv6 address, got "10\.2\.0\.300"\n/);
    expect(run.stdout).toMatch(/targets\[3\] \(bad-port\) ssh\.port: must be at most 65535, got 70000\n/);
    expect(run.stdout).toMatch(/targets\[4\] \(bad-method\) method: .*"telnet"; interval_sec: must be at least 5, got 1\n/);
    // One line a target, each problem naming the field of config.json: the hostile unit is refused once, as `service`.
    for (const index of [1, 2, 3, 4, 5, 6]) expect(run.stdout.match(new RegExp(`targets\\[${index}\\]`, 'g')), `targets[${index}]`).toHaveLength(1);
    expect(run.stdout).toMatch(/targets\[2\] \(hostile-unit\) service: /);
    expect(run.stdout).not.toMatch(/_sec \(|monitoring\.|ssh_config|service_name|serviceType|tags|Cast to|Path `/);
    expect(run.stdout).not.toContain('warnings:');
  });

  test('--json: one rejection a target with its problems, and warnings for fields config.json does not have', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-'));
    const config = fixture('config-with-bad-targets.json');
    config.targets[0].timeout = 10;
    config.targets[4].ssh.key = '/root/.ssh/id_rsa';
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const run = cli(join(dir, 'config.json'), '--environment', 'dev', '--dry-run', '--json');
    expect(run.status).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.rejected).toHaveLength(6);
    expect(summary.rejected[3]).toEqual({
      index: 4,
      name: 'bad-method',
      problems: [
        { field: 'method', message: expect.stringContaining('"telnet"') },
        { field: 'interval_sec', message: 'must be at least 5, got 1' },
      ],
    });
    expect(summary.warnings).toEqual([
      { index: 0, name: 'good-redis', problems: [{ field: 'timeout', message: 'not a config.json field; ignored' }] },
      { index: 4, name: 'bad-method', problems: [{ field: 'ssh.key', message: 'not a config.json field; ignored' }] },
    ]);
    const text = cli(join(dir, 'config.json'), '--environment', 'dev', '--dry-run');
    expect(text.stdout).toContain('warnings: 2 target(s)\n    targets[0] (good-redis) timeout: not a config.json field; ignored\n');
  });

  test('reads a config.json saved with a UTF-8 byte order mark', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-'));
    writeFileSync(join(dir, 'config.json'), `\uFEFF${readFileSync(fixturePath('config.json'), 'utf8')}`);
    const run = cli(join(dir, 'config.json'), '--environment', 'staging', '--dry-run', '--json');
    expect(run.stderr).toMatch(/^service-monitor-migrate: reading \(dry run, nothing written\) mongodb:\/\//);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ targets: 4, hosts: { created: 3 }, services: { created: 4 }, rejected: [] });
  });

  test('on a terminal it draws a progress bar per phase (cli-progress), and gives the cursor back', () => {
    // A pseudo-terminal through util-linux script(1) (Debian: bsdutils, always installed).
    const migrate = join(import.meta.dirname, '..', '..', 'dist', 'src', 'bin', 'service-monitor-migrate.js');
    const run = spawnSync('script', ['-qec', `${process.execPath} ${migrate} ${fixturePath('config.json')} --environment dev --dry-run`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, MONGODB_URI: database.uri, MONGODB_DATABASE: database.name, LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/checking targets \[█+\] 4\/4/);
    expect(run.stdout).toContain('\u001b[?25h'); // the cursor shown again
    expect(run.stdout).toContain('Dry run (nothing written)');
  });

  test('has no default environment: without --environment it exits 2 with one line saying so', async () => {
    const run = cli(fixturePath('config.json'));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'service-monitor-migrate: --environment is required: config.json does not say which environment its targets are in (one of dev, staging, production)\n',
    );
    expect(await HostModel.countDocuments()).toBe(0);
  });

  test('exits 2 with a readable message for a missing file, bad JSON or bad options', () => {
    const missing = cli('/nonexistent/config.json', '--environment', 'production');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/config\.json/);
    const badEnvironment = cli(fixturePath('config.json'), '--environment', 'qa');
    expect(badEnvironment.status).toBe(2);
    expect(badEnvironment.stderr).toMatch(/environment: must be one of dev, staging, production/);
    const noArgs = cli();
    expect(noArgs.status).toBe(2);
    expect(noArgs.stderr).toMatch(/usage: service-monitor-migrate <config\.json> --environment <dev\|staging\|production>/);
  });
});
