/**
 * A database as the seed's own Python tooling leaves it (test/compat/seed, mode `mixed`): hosts and
 * services by MongoDBManager (no next_check_at, no stale_at, optional fields left out), the seed's
 * migrate script with a `method: "teleport"` target, history as its monitoring cycle logs it, and
 * environments with created_at only. Every query of the schema answers over it through the real API,
 * the odd documents reported as misconfigured; db:doctor lists and fixes what can be derived; and the
 * engine checks those services.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { describe, expect, test } from 'vitest';
import { inject } from 'vitest';
import { formatReport, runDoctor } from '../../src/cli/db-doctor.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { EnvironmentModel } from '../../src/modules/environments/environment.model.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { TEST_SETTINGS, useApiServer, type GraphQLResponse } from '../helpers/api.js';
import { createTestEngine } from '../helpers/engine.js';
import { cleanEnv } from '../helpers/processes.js';
import { askEveryQuery, expectAnswered, type QueryIds } from './seed/every-query.js';
import { runSeedTooling, seedSkipReason } from './seed/run-seed-tooling.js';

const skipReason = seedSkipReason(import.meta.filename);
const api = useApiServer(import.meta.filename, { maxDepth: 30, maxComplexity: 1_000_000_000 });
const root = join(import.meta.dirname, '..', '..');

const TELEPORT = 'svc_10_9_2_2_beam_service_001';
const SEED_HOSTS = ['host_10_9_2_1_000', 'host_10_9_2_2_001', 'host_seed_devel', 'host_seed_full', 'host_seed_local', 'host_seed_min'];

async function query(text: string): Promise<GraphQLResponse<Record<string, any>>> {
  return api.request(parse(text) as never, {} as never);
}

const problemsOf = (node: { problems: { field: string; storedField: string; message: string }[] }) => node.problems.map((p) => p.storedField);

describe.skipIf(skipReason !== null)('data written by the seed’s own tooling', () => {
  test('every query of the schema answers over it, through the real API, with the odd documents reported', async () => {
    const seeded = runSeedTooling(api.database, 'mixed');
    expect(seeded.teleport).toEqual([TELEPORT]);
    expect(seeded.hosts).toEqual(SEED_HOSTS);

    const answers = await askEveryQuery(api, [
      { serviceId: TELEPORT, hostId: 'host_seed_devel' },
      { serviceId: 'svc_seed_min', hostId: 'host_seed_min' },
      { serviceId: 'svc_seed_degraded', hostId: 'host_10_9_2_2_001' },
    ]);

    // Lists are intact: every seeded document is there.
    const services = answers[`services:${TELEPORT}`];
    expect(services.edges.map((e: any) => e.node.serviceId)).toEqual([...seeded.services].sort());
    expect(answers[`hosts:${TELEPORT}`].edges.map((e: any) => e.node.hostId)).toEqual(SEED_HOSTS);

    const node = (id: string) => services.edges.find((e: any) => e.node.serviceId === id).node;
    // The migrate script's teleport target: readable, its method null, the problem named.
    const teleport = node(TELEPORT);
    expect(teleport.monitoring.method).toBeNull();
    expect(teleport.problems).toEqual([expect.objectContaining({ field: 'monitoring.method', message: expect.stringMatching(/unknown value "teleport"/) })]);
    // Missing optional fields read as their defaults; missing derived fields are filled in.
    const minimal = node('svc_seed_min');
    expect(minimal.monitoring).toMatchObject({ method: 'SSH', timeoutSec: 30, retryAttempts: 3, expectedStatus: [], tlsExpiryWarningDays: 14 });
    expect(minimal.recovery).toMatchObject({ recoverAction: 'RESTART', maxRecoveryAttempts: 3 });
    expect(minimal.alerting).toMatchObject({ enabled: true, channels: ['EMAIL'], severity: 'MEDIUM' });
    expect(minimal.tags).toEqual([]);
    expect(minimal.problems).toEqual([]);
    expect(Date.parse(minimal.staleAt)).toBe(Date.parse(minimal.lastCheck) + 3 * 30_000);
    expect(minimal.nextCheckAt).not.toBeNull();
    // An http check without a target (the seed has no such field) cannot run: said so.
    expect(problemsOf(node('svc_seed_http'))).toEqual(['monitoring.target']);
    // A status our vocabulary lacks reads as UNKNOWN; an environment it lacks as null; both reported.
    const degraded = node('svc_seed_degraded');
    expect(degraded.currentStatus).toBe('UNKNOWN');
    expect(degraded.environment).toBeNull();
    expect(problemsOf(degraded).sort()).toEqual(['current_status', 'environment']);

    const hosts = answers[`hosts:${TELEPORT}`].edges.map((e: any) => e.node);
    const minimalHost = hosts.find((h: any) => h.hostId === 'host_seed_min');
    expect(minimalHost).toMatchObject({ sshConfig: { user: 'deploy', port: 22, useSudo: false }, location: { datacenter: null }, metadata: { tags: [] }, problems: [] });
    const devel = hosts.find((h: any) => h.hostId === 'host_seed_devel');
    expect(devel.environment).toBeNull();
    expect(devel.problems).toEqual([expect.objectContaining({ field: 'environment', message: expect.stringMatching(/unknown value "development"/) })]);

    // Environments with created_at only: updatedAt reads as createdAt; an unknown name and severity read as null.
    const environments = answers[`environments:${TELEPORT}`];
    const production = environments.find((e: any) => e.name === 'PRODUCTION');
    expect(production.updatedAt).toBe(production.createdAt);
    expect(production.maintenanceWindow).toMatchObject({ day: 'SUNDAY', startTime: '02:00' });
    expect(production.problems).toEqual([]);
    const qa = environments.find((e: any) => e.name === null);
    expect(qa.problems.map((p: any) => p.field).sort()).toEqual(['alertSeverity', 'name']);
    expect(answers[`environment:${TELEPORT}`].updatedAt).toBe(production.createdAt);

    // History as the seed's monitoring cycle logs it, error path included.
    const history = answers[`recentFailures:${TELEPORT}`].edges.map((e: any) => e.node);
    const timedOut = history.find((c: any) => c.serviceId === 'svc_seed_min');
    expect(timedOut).toMatchObject({ status: 'ERROR', checkType: 'STATUS_CHECK', error: 'ssh: connect timed out', responseTimeMs: null, problems: [] });
    const odd = answers['serviceHistory:svc_seed_degraded'].edges[0].node;
    expect(odd).toMatchObject({ status: 'UNKNOWN', checkType: null });
    expect(odd.problems.map((p: any) => p.field).sort()).toEqual(['checkType', 'status']);

    // What needs attention: misconfigured documents, and a service stale by last_check and interval (no stale_at).
    const attention = answers[`servicesNeedingAttention:${TELEPORT}`];
    expect(attention.misconfigured.map((s: any) => s.serviceId)).toEqual([TELEPORT, 'svc_seed_degraded', 'svc_seed_http']);
    expect(attention.staleChecks.map((s: any) => s.serviceId)).toEqual(['svc_seed_stale']);
    expect(attention.checksNotRunning).toEqual([]);
    // Statuses ours does not know count as unknown, in the summary as in the groups.
    const summary = answers[`dashboardSummary:${TELEPORT}`];
    expect(summary.totalServices).toBe(seeded.services.length);
    expect(summary.unknownServices).toBe(seeded.services.length);
    expect(answers[`servicesByStatus:${TELEPORT}`]).toEqual([expect.objectContaining({ status: 'UNKNOWN', count: seeded.services.length })]);

    // Filters read documents as the API does: an unknown status is UNKNOWN.
    const unknownStatus = await query('{ services(filter: { status: UNKNOWN }) { totalCount } }');
    expect(unknownStatus.data!.services.totalCount).toBe(seeded.services.length);

    // Filters and search over the same data.
    for (const text of [
      '{ services(filter: { search: "seed" }) { totalCount edges { node { serviceId problems { field } monitoring { method } } } } }',
      '{ hosts(filter: { search: "seed" }) { totalCount edges { node { hostId environment problems { field } } } } }',
      '{ services(filter: { status: UNKNOWN, enabled: true }) { totalCount edges { node { serviceId } } } }',
      '{ host(hostId: "host_seed_devel") { services { serviceId currentStatus problems { field } host { hostId } } } }',
    ]) {
      const response = await query(text);
      expectAnswered(response, text);
    }
  });

  test('a service the engine found UNKNOWN after a check is in checksNotRunning; one never checked is not', async () => {
    runSeedTooling(api.database, 'mixed');
    await ServiceModel.collection.updateOne({ service_id: 'svc_seed_min' }, { $set: { consecutive_failures: 2 } });
    const response = await query('{ servicesNeedingAttention { checksNotRunning { serviceId currentStatus consecutiveFailures } } }');
    expectAnswered(response, 'checksNotRunning');
    expect(response.data!.servicesNeedingAttention.checksNotRunning).toEqual([{ serviceId: 'svc_seed_min', currentStatus: 'UNKNOWN', consecutiveFailures: 2 }]);
  });

  test('db:doctor lists what breaks today’s rules, fixes what can be derived and leaves the rest to a person', async () => {
    runSeedTooling(api.database, 'mixed');
    const settings = { ...TEST_SETTINGS };
    const before = await runDoctor(settings, { fix: false });
    expect(before.scanned).toMatchObject({ hosts: SEED_HOSTS.length, environments: 2, monitoring_history: 4 });
    const find = (collection: string, id: string, field: string) => before.findings.find((f) => f.collection === collection && f.id === id && f.field === field);
    expect(find('services', TELEPORT, 'monitoring.method')).toMatchObject({ state: 'not fixable', problem: expect.stringMatching(/teleport/) });
    expect(find('services', 'svc_seed_min', 'next_check_at')).toMatchObject({ state: 'fixable' });
    expect(find('services', 'svc_seed_min', 'stale_at')).toMatchObject({ state: 'fixable' });
    expect(find('services', 'svc_seed_min', 'monitoring.tls_expiry_warning_days')).toMatchObject({ state: 'fixable', value: 14 });
    expect(find('environments', 'production', 'updated_at')).toMatchObject({ state: 'fixable' });
    expect(find('hosts', 'host_seed_min', 'ssh_config.port')).toMatchObject({ state: 'fixable', value: 22 });
    expect(find('hosts', 'host_seed_devel', 'environment')).toMatchObject({ state: 'not fixable' });
    expect(find('environments', 'qa', 'env_name')).toMatchObject({ state: 'not fixable' });
    const text = formatReport(before, 'the test database', 1000);
    expect(text).toMatch(/services svc_10_9_2_2_beam_service_001 monitoring\.method: unknown value "teleport".*NOT FIXABLE/);
    expect(text).toMatch(/fixable \(run with --fix\)/);

    const fixedAt = new Date();
    const fixed = await runDoctor(settings, { fix: true, now: fixedAt });
    expect(fixed.counts.fixable).toBe(0);
    expect(fixed.counts.fixed).toBe(before.counts.fixable);
    expect(fixed.counts['not fixable']).toBe(before.counts['not fixable']);

    // Written as derived: due at once, stale N intervals after the last check; defaults where missing.
    const minimal = (await ServiceModel.collection.findOne({ service_id: 'svc_seed_min' }))!;
    expect(+minimal.next_check_at).toBe(+fixedAt);
    expect(+minimal.stale_at).toBe(+minimal.last_check + 3 * 30_000);
    expect(minimal.monitoring).toMatchObject({ method: 'ssh', interval_sec: 30, timeout_sec: 30, tls_expiry_warning_days: 14, expected_status: [] });
    expect(minimal.alerting).toMatchObject({ enabled: true, channels: ['email'], severity: 'medium' });
    const production = (await EnvironmentModel.collection.findOne({ env_name: 'production' }))!;
    expect(+production.updated_at).toBe(+production.created_at);
    expect((await HostModel.collection.findOne({ host_id: 'host_seed_min' }))!.ssh_config).toMatchObject({ user: 'deploy', port: 22, use_sudo: false });
    // Never guessed: the unknown values stay as stored.
    expect((await ServiceModel.collection.findOne({ service_id: TELEPORT }))!.monitoring.method).toBe('teleport');
    expect((await HostModel.collection.findOne({ host_id: 'host_seed_devel' }))!.environment).toBe('development');
    expect((await MonitoringCheckModel.collection.findOne({ check_type: 'synthetic' }))!.status).toBe('degraded');

    const after = await runDoctor(settings, { fix: false });
    expect(after.counts).toEqual({ fixable: 0, fixed: 0, 'not fixable': before.counts['not fixable'] });
  });

  test('db:doctor as an operator runs it: says which database, lists, fixes with --fix, exit code 1 while problems remain', async () => {
    const bin = join(root, 'dist', 'src', 'bin', 'service-monitor-doctor.js');
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npx tsc -p tsconfig.json)`);
    runSeedTooling(api.database, 'mixed');
    const doctor = (...args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], {
        env: { ...cleanEnv, MONGODB_URI: inject('mongoUri'), MONGODB_DATABASE: api.database.name, LOG_LEVEL: 'error' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const listed = doctor();
    expect(listed.status, listed.stderr).toBe(1);
    expect(listed.stdout).toContain(`database: ${api.database.name} on ${inject('mongoUri')} (MONGODB_URI)`);
    expect(listed.stdout).toMatch(/services svc_seed_min next_check_at: is missing; derived: .* -> fixable with --fix/);

    const fixed = doctor('--fix', '--json');
    expect(fixed.status, fixed.stderr).toBe(1);
    const report = JSON.parse(fixed.stdout);
    expect(report.counts.fixable).toBe(0);
    expect(report.counts.fixed).toBeGreaterThan(0);
    expect(report.findings).toContainEqual(expect.objectContaining({ collection: 'services', id: TELEPORT, field: 'monitoring.method', state: 'not fixable' }));
    expect((await ServiceModel.collection.findOne({ service_id: 'svc_seed_min' }))!.next_check_at).toBeInstanceOf(Date);

    // Once a person has chosen the values, nothing is left.
    await ServiceModel.collection.updateOne({ service_id: TELEPORT }, { $set: { 'monitoring.method': 'ssh' } });
    await ServiceModel.collection.updateOne({ service_id: 'svc_seed_http' }, { $set: { 'monitoring.target': 'http://127.0.0.1:1/' } });
    await ServiceModel.collection.updateOne({ service_id: 'svc_seed_degraded' }, { $set: { current_status: 'unknown', environment: 'dev' } });
    await HostModel.collection.updateOne({ host_id: 'host_seed_devel' }, { $set: { environment: 'dev' } });
    await EnvironmentModel.collection.deleteOne({ env_name: 'qa' });
    await MonitoringCheckModel.collection.updateOne({ check_type: 'synthetic' }, { $set: { check_type: 'status_check', status: 'unknown' } });
    const clean = doctor();
    expect(clean.stdout).toMatch(/nothing breaks today’s rules/);
    expect(clean.status, clean.stdout).toBe(0);
  });

  test('documents with little more than their ids, or values of the wrong type, never break a query; the doctor fixes what it can', async () => {
    const { ObjectId } = await import('mongodb');
    await HostModel.collection.insertMany([
      { host_id: 'host_bare' },
      {
        host_id: 'host_typed', hostname: 'typed', ip_address: '10.0.0.9', environment: 'dev', region: 'lab',
        ssh_config: { user: 'u', port: '22', use_sudo: 'yes' }, metadata: { tags: 'a,b' }, location: 'Seoul', created_at: '2025-10-12T00:00:00Z',
      },
    ]);
    await ServiceModel.collection.insertMany([
      { service_id: 'svc_bare' },
      {
        service_id: 'svc_typed', host_id: 'host_typed', service_name: 'x.service', service_type: 'x', environment: 'dev', region: 'lab',
        monitoring: { method: 'tcp', interval_sec: '45', timeout_sec: 2.5, enabled: 'true', expected_status: [200, 'ok'] },
        recovery: null, alerting: { channels: ['email', 'sms'], severity: 'urgent' }, tags: 'db', dependencies: null,
        consecutive_failures: 1.5, current_status: null, uptime_percentage: '99', last_check: new Date(Date.now() - 60_000),
      },
    ]);
    await MonitoringCheckModel.collection.insertMany([
      { _id: new ObjectId(), service_id: 'svc_typed' },
      { service_id: 'svc_typed', host_id: 'host_typed', timestamp: new Date(), status: 'running', metrics: 'none', status_code: 1.5, response_time_ms: '12' },
    ]);
    await EnvironmentModel.collection.insertOne({ env_name: 'staging', maintenance_window: { day: 'Funday' } });

    const ids: [QueryIds, ...QueryIds[]] = [
      { serviceId: 'svc_typed', hostId: 'host_typed', environment: 'STAGING' },
      { serviceId: 'svc_bare', hostId: 'host_bare', environment: 'STAGING' },
    ];
    const answers = await askEveryQuery(api, ids);
    const typed = answers['service:svc_typed'];
    expect(typed.monitoring).toMatchObject({ method: 'TCP', intervalSec: 60, timeoutSec: 30, enabled: true, expectedStatus: [200] });
    expect(typed.alerting).toMatchObject({ channels: ['EMAIL'], severity: null });
    expect(typed.recovery).toMatchObject({ recoverAction: 'RESTART' });
    expect(typed).toMatchObject({ tags: [], dependencyIds: [], consecutiveFailures: 0, currentStatus: 'UNKNOWN', uptimePercentage: null });
    expect(problemsOf(typed).sort()).toEqual([
      'alerting.channels', 'alerting.severity', 'consecutive_failures', 'monitoring.enabled', 'monitoring.expected_status',
      'monitoring.interval_sec', 'monitoring.target', 'monitoring.timeout_sec', 'tags', 'uptime_percentage',
    ]);
    expect(problemsOf(answers['service:svc_bare']).sort()).toEqual(['environment', 'host_id', 'region', 'service_name', 'service_type']);
    const typedHost = answers['host:svc_typed'];
    expect(typedHost).toMatchObject({ sshConfig: { port: 22, useSudo: false }, metadata: { tags: [] }, createdAt: '2025-10-12T00:00:00.000Z' });
    expect(problemsOf(typedHost).sort()).toEqual(['created_at', 'location', 'metadata.tags', 'ssh_config.port', 'ssh_config.use_sudo']);
    expect(problemsOf(answers['host:svc_bare']).sort()).toEqual(['environment', 'hostname', 'ip_address', 'region']);
    const checks = answers['serviceHistory:svc_typed'].edges.map((e: any) => e.node);
    expect(checks).toHaveLength(2);
    expect(checks.find((c: any) => c.hostId === '').problems.map((p: any) => p.field).sort()).toEqual(['hostId', 'status']);
    expect(checks.find((c: any) => c.hostId === 'host_typed')).toMatchObject({ statusCode: null, responseTimeMs: null, metrics: { cpuUsage: null } });
    const staging = (await query('{ environments { name updatedAt maintenanceWindow { day timezone } problems { field } } }')).data!.environments;
    expect(staging).toEqual([{ name: 'STAGING', updatedAt: expect.any(String), maintenanceWindow: { day: null, timezone: 'UTC' }, problems: expect.any(Array) }]);
    const attention = answers['servicesNeedingAttention:svc_typed'];
    expect(attention.misconfigured.map((s: any) => s.serviceId)).toEqual(['svc_bare', 'svc_typed']);

    // The doctor writes what is missing (recovery and dependencies were null: written whole), leaves wrong values alone.
    const fixed = await runDoctor({ ...TEST_SETTINGS }, { fix: true });
    expect(fixed.counts.fixed).toBeGreaterThan(0);
    const stored = (await ServiceModel.collection.findOne({ service_id: 'svc_typed' }))!;
    expect(stored.recovery).toMatchObject({ recover_action: 'restart', max_recovery_attempts: 3 });
    expect(stored).toMatchObject({ dependencies: [], current_status: 'unknown', tags: 'db' });
    expect(stored.monitoring.interval_sec).toBe('45');
    expect((await runDoctor({ ...TEST_SETTINGS }, { fix: false })).counts.fixable).toBe(0);
    await askEveryQuery(api, ids);
  });

  test('the engine checks a service the seed wrote (no next_check_at) within one interval', async () => {
    runSeedTooling(api.database, 'mixed');
    const written = (await ServiceModel.collection.findOne({ service_id: 'svc_seed_local' }))!;
    expect(written.next_check_at).toBeUndefined();
    const harness = createTestEngine(api.domain);
    try {
      const deadline = +written.created_at + written.monitoring.interval_sec * 1000;
      let checks = 0;
      while (checks === 0 && Date.now() < deadline) {
        await harness.engine.dispatchDue();
        checks = await MonitoringCheckModel.countDocuments({ service_id: 'svc_seed_local' });
        if (checks === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(checks, 'the seed-written service was never claimed: the engine does not treat a missing next_check_at as due').toBeGreaterThan(0);
      const service = (await ServiceModel.collection.findOne({ service_id: 'svc_seed_local' }))!;
      expect(+service.last_check).toBeLessThanOrEqual(deadline);
      expect(service.next_check_at, 'the engine schedules it from then on').toBeInstanceOf(Date);
    } finally {
      await harness.close();
    }
  }, 60_000);
});
