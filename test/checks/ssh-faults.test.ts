/** SSH checks against a misbehaving server (test/setup/fault-ssh-server.ts), through the real engine and pool. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createDomain } from '../../src/modules/domain.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine, type TestEngineOptions } from '../helpers/engine.js';
import { parseableEd25519KeyPair, startFaultSshServer, type FaultMode, type FaultSshServer } from '../setup/fault-ssh-server.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
let keyFile: string;
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sm-ssh-faults-'));
  keyFile = join(dir, 'id_ed25519');
  writeFileSync(keyFile, parseableEd25519KeyPair().private, { mode: 0o600 });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The shared test engine, with the pool's timings chosen by the test. */
function engineWith(options: TestEngineOptions = {}) {
  const harness = createTestEngine(domain, options);
  cleanups.push(() => harness.close());
  return harness.engine;
}

async function server(mode: FaultMode, options: { bannerDelayMs?: number } = {}): Promise<FaultSshServer> {
  const s = await startFaultSshServer(mode, options);
  cleanups.push(() => s.stop());
  return s;
}

async function addHostAndService(s: FaultSshServer, options: { fingerprint?: string | null; timeoutSec?: number; custom?: string } = {}) {
  await domain.hosts.create({
    host_id: 'host_fault',
    hostname: 'fault',
    ip_address: '127.0.0.1',
    environment: 'dev',
    region: 'lab',
    ssh_config: {
      user: 'monitor',
      port: s.port,
      key_path: keyFile,
      host_key_fingerprint: options.fingerprint === undefined ? s.hostKeyFingerprint : options.fingerprint,
      use_sudo: false,
    },
  });
  await domain.services.create({
    service_id: 'svc_fault',
    host_id: 'host_fault',
    service_name: 'nginx.service',
    service_type: 'nginx',
    monitoring: { method: options.custom ? 'custom' : 'ssh', interval_sec: 60, timeout_sec: options.timeoutSec ?? 2, retry_attempts: 0, retry_delay_sec: 0 },
    ...(options.custom ? { health_check: { custom_check: options.custom } } : {}),
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

describe('the fault server itself', () => {
  test("in 'ok' mode a check finds the unit running with the reported MainPID", async () => {
    const s = await server('ok');
    await addHostAndService(s);
    const run = await engineWith().runNow('svc_fault');
    expect(run.recorded.status).toBe('running');
    expect(run.result.metrics?.custom).toMatchObject({ main_pid: 1, sub_state: 'running' });
    expect(s.commands.some((c) => c.includes('systemctl show') && c.includes('nginx.service'))).toBe(true);
  });
});

describe('ssh faults', () => {
  test('rejected authentication is unknown, says so, and does not hang', async () => {
    const s = await server('auth-fail');
    await addHostAndService(s);
    const { value: run, ms } = await timed(() => engineWith().runNow('svc_fault'));
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toMatch(/authentication/i);
    expect(ms).toBeLessThan(2_500);
    expect(s.commands).toEqual([]);
  });

  test('an exec that never answers is an error, timed out after timeout_sec', async () => {
    const s = await server('hang-exec');
    await addHostAndService(s, { timeoutSec: 1 });
    const { value: run, ms } = await timed(() => engineWith().runNow('svc_fault'));
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2_500);
  });

  test('a connection cut mid-command is unknown; during the backoff checks fail fast; after it a new connection succeeds', async () => {
    const s = await server('disconnect-mid-command');
    await addHostAndService(s);
    const engine = engineWith({ backoffMs: 1_500 });

    const cut = await engine.runNow('svc_fault');
    expect(cut.recorded.status).toBe('unknown');
    expect(cut.recorded.status).not.toBe('running');
    expect(cut.result.error).toMatch(/without a status|closed/);
    expect(s.connections).toBe(1);

    // The pool keeps a backoff after the connection died: a check now fails at once with the reason.
    s.mode = 'ok';
    const { value: during, ms } = await timed(() => engine.runNow('svc_fault'));
    expect(during.recorded.status).toBe('unknown');
    expect(during.result.error).toMatch(/retrying the connection in \d+ s/);
    expect(ms).toBeLessThan(1_000);
    expect(s.connections).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const after = await engine.runNow('svc_fault');
    expect(after.recorded.status).toBe('running');
    expect(s.connections).toBe(2);
  });

  // Documents a src bug: SshPool's runCommand resolves with code null when the connection drops
  // before an exit status, and CustomChecker treats any non-zero code as 'stopped' (a down service,
  // which can trigger recovery) although the host was simply lost mid-command.
  test('a custom check whose connection is cut mid-command is unknown, not stopped', async () => {
    const s = await server('disconnect-mid-command');
    await addHostAndService(s, { custom: 'disk_ok' });
    const run = await engineWith({ customCommands: { disk_ok: 'exit 0' } }).runNow('svc_fault');
    expect(s.commands).toEqual(['exit 0']);
    expect(run.recorded.status).toBe('unknown');
  });

  test('a banner slower than the connect timeout is unknown and says it timed out', async () => {
    const s = await server('slow-banner', { bannerDelayMs: 3_000 });
    await addHostAndService(s, { timeoutSec: 2 });
    const { value: run, ms } = await timed(() => engineWith({ connectTimeoutMs: 1_000 }).runNow('svc_fault'));
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toMatch(/timed out/i);
    expect(ms).toBeLessThan(2_500);
  });

  // Documents a src bug: the check's timeout_sec does not bound the SSH connect/handshake
  // (SshPool.connection awaits `connection.ready` without the AbortSignal), so a check with
  // timeout_sec 1 against a slow server takes as long as connectTimeoutMs or the banner delay.
  test('timeout_sec bounds the whole check, including the SSH handshake', async () => {
    const s = await server('slow-banner', { bannerDelayMs: 3_000 });
    await addHostAndService(s, { timeoutSec: 1 });
    const { value: run, ms } = await timed(() => engineWith({ connectTimeoutMs: 5_000 }).runNow('svc_fault'));
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
    expect(ms).toBeLessThan(2_000);
  });

  test('a host key other than the pinned fingerprint is not trusted', async () => {
    const s = await server('ok');
    await addHostAndService(s, { fingerprint: `SHA256:${'B'.repeat(43)}` });
    const run = await engineWith().runNow('svc_fault');
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toMatch(/not trusted/);
    expect(s.commands).toEqual([]);
  });
});

describe('known_hosts', () => {
  test('without a pinned fingerprint, a host listed in known_hosts is accepted', async () => {
    const s = await server('ok');
    const knownHostsFile = join(dir, `known_hosts_${s.port}`);
    writeFileSync(knownHostsFile, `# test\n${s.knownHostsLine}\n`);
    await addHostAndService(s, { fingerprint: null });
    const run = await engineWith({ knownHostsFile }).runNow('svc_fault');
    expect(run.recorded.status).toBe('running');
  });

  test('without a pinned fingerprint, a host not in known_hosts (or listed with another key) is refused', async () => {
    const s = await server('ok');
    const other = await server('ok');
    const knownHostsFile = join(dir, `known_hosts_other_${s.port}`);
    // Another server's key under this port, and the right key under another port.
    writeFileSync(knownHostsFile, `${other.knownHostsLine.replace(`:${other.port} `, `:${s.port} `)}\n${s.knownHostsLine.replace(`:${s.port} `, `:${other.port + 1} `)}\n`);
    await addHostAndService(s, { fingerprint: null });
    const run = await engineWith({ knownHostsFile }).runNow('svc_fault');
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toMatch(/not trusted/);
    expect(s.commands).toEqual([]);
  });
});
