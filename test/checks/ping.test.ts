/**
 * The ping checker through the engine, with the system's iputils ping (installed by `npm run setup`:
 * tools/checks/install.sh) against loopback and unroutable addresses; its output parser on iputils' own words.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { parsePing } from '../../src/modules/checks/ping.checker.js';
import { createDomain } from '../../src/modules/domain.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine } from '../helpers/engine.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
let harness: ReturnType<typeof createTestEngine>;

beforeAll(() => {
  try {
    execFileSync('ping', ['-V']);
  } catch {
    throw new Error('ping (iputils) is missing: run `npm run setup` (tools/checks/install.sh installs iputils-ping)');
  }
});
beforeEach(async () => {
  await harness?.close();
  harness = createTestEngine(domain);
  // No SSH: a ping needs none.
  await domain.hosts.create({ host_id: 'host_lo', hostname: 'loopback', ip_address: '127.0.0.1', environment: 'dev', region: 'lab' });
});
afterAll(async () => {
  await harness?.close();
});

let counter = 0;
async function ping(target: string | null) {
  const serviceId = `svc_ping_${++counter}`;
  await domain.services.create({ service_id: serviceId, host_id: 'host_lo', service_name: 'Loopback reachable', monitoring: { method: 'ping', target, interval_sec: 60, timeout_sec: 3, retry_attempts: 0 } });
  return { serviceId, run: await harness.engine.runNow(serviceId) };
}

describe('ping', () => {
  test("without a target it pings the host's address: running, with loss and round trip as metrics", async () => {
    const { serviceId, run } = await ping(null);
    expect(run.recorded.status).toBe('running');
    expect(run.result.metrics?.custom).toMatchObject({ packet_loss_percent: 0, packets_received: 3, rtt_avg_ms: expect.any(Number) });
    expect((await domain.services.require(serviceId)).service_type).toBe('ping');
  });

  test('an address that never answers is stopped, saying so', async () => {
    const { run } = await ping('ping://240.0.0.1');
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(/^no reply from 240\.0\.0\.1 \(\d+ packets?, 100% loss\)$/);
    expect(run.result.metrics?.custom).toMatchObject({ packet_loss_percent: 100, packets_received: 0 });
  });

  test('a name that does not resolve is an error naming it', async () => {
    const { run } = await ping('ping://nosuch.invalid');
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/^ping nosuch\.invalid: .*(not known|failure|resolve)/i);
  });

  test('IPv6 loopback', async () => {
    const { run } = await ping('ping://[::1]');
    expect(run.recorded.status).toBe('running');
  });
});

describe("iputils' summary", () => {
  test('all, some and none answered', () => {
    expect(parsePing('3 packets transmitted, 3 received, 0% packet loss, time 412ms\nrtt min/avg/max/mdev = 0.035/0.124/0.300/0.124 ms')).toEqual({
      transmitted: 3,
      received: 3,
      lossPercent: 0,
      rttMs: { min: 0.035, avg: 0.124, max: 0.3 },
    });
    expect(parsePing('3 packets transmitted, 2 received, 33.3333% packet loss, time 2003ms\nrtt min/avg/max/mdev = 1.1/1.2/1.3/0.1 ms')).toMatchObject({ received: 2, lossPercent: 33.3333 });
    expect(parsePing('1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms')).toEqual({ transmitted: 1, received: 0, lossPercent: 100, rttMs: null });
    expect(parsePing('ping: nosuch.invalid: Name or service not known')).toBeNull();
  });
});
