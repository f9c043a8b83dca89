/**
 * The dns checker through the engine against a real DNS server (Debian's dnsmasq on a loopback port, started
 * here: test/setup/dnsmasq.ts), for each record type, expected values, and a resolver that is wrong or silent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { createDomain } from '../../src/modules/domain.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine } from '../helpers/engine.js';
import { startDnsmasq, type RunningDnsmasq } from '../setup/dnsmasq.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
let harness: ReturnType<typeof createTestEngine>;
let server: RunningDnsmasq;

beforeAll(async () => {
  server = await startDnsmasq([
    '--host-record=www.shop.test,10.0.0.1,fd00::1',
    '--host-record=www.shop.test,10.0.0.2',
    '--cname=static.shop.test,www.shop.test',
    '--mx-host=shop.test,mail.shop.test,10',
    '--mx-host=shop.test,backup-mail.shop.test,20',
    '--txt-record=shop.test,v=spf1 mx -all',
  ]);
});
beforeEach(async () => {
  await harness?.close();
  harness = createTestEngine(domain);
  await domain.hosts.create({ host_id: 'host_dns', hostname: 'resolver', ip_address: '127.0.0.1', environment: 'dev', region: 'lab' });
});
afterAll(async () => {
  await harness?.close();
  await server?.stop();
});

let counter = 0;
async function lookUp(target: string, timeoutSec = 3) {
  const serviceId = `svc_dns_${++counter}`;
  await domain.services.create({ service_id: serviceId, host_id: 'host_dns', service_name: 'Shop names', monitoring: { method: 'dns', target, interval_sec: 60, timeout_sec: timeoutSec, retry_attempts: 0 } });
  return { serviceId, run: await harness.engine.runNow(serviceId) };
}
const at = (query: string) => `dns://${server.authority}/${query}`;

describe('answers of each type', () => {
  test('A (the default type): running, the answers and their TTL as metrics, asked of the chosen resolver', async () => {
    const { serviceId, run } = await lookUp(at('www.shop.test'));
    expect(run.recorded.status).toBe('running');
    expect(run.result.metrics?.custom).toMatchObject({ answer_count: 2, ttl_min_sec: expect.any(Number) });
    expect(String(run.result.metrics?.custom?.answers).split(', ').sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(server.queries()).toContain('query[A] www.shop.test from 127.0.0.1');
    expect((await domain.services.require(serviceId)).service_type).toBe('dns');
  });

  test.each([
    ['AAAA', 'www.shop.test?type=AAAA&expect=FD00:0::1', 'fd00::1'],
    ['CNAME', 'static.shop.test?type=CNAME&expect=WWW.shop.test.', 'www.shop.test'],
    ['MX', 'shop.test?type=mx&expect=mail.shop.test&expect=20%20backup-mail.shop.test', '10 mail.shop.test'],
    ['TXT', 'shop.test?type=TXT&expect=v%3Dspf1%20mx%20-all', 'v=spf1 mx -all'],
  ])('%s with expected values, spelled otherwise than the answer', async (_type, query, answer) => {
    const { run } = await lookUp(at(query));
    expect(run.result.error).toBeNull();
    expect(run.recorded.status).toBe('running');
    expect(String(run.result.metrics?.custom?.answers)).toContain(answer);
  });
});

describe('wrong answers are errors that say what came back', () => {
  test('an expected address that is not among the answers', async () => {
    const { run } = await lookUp(at('www.shop.test?expect=10.0.0.1&expect=10.0.0.9'));
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/^www\.shop\.test A: expected 10\.0\.0\.9, got 10\.0\.0\.[12], 10\.0\.0\.[12]$/);
  });

  test('a name that does not exist (NXDOMAIN), and one without records of the type', async () => {
    const nx = await lookUp(at('gone.shop.test'));
    expect(nx.run.recorded.status).toBe('error');
    expect(nx.run.result.error).toBe(`gone.shop.test A at ${server.authority}: no such name (NXDOMAIN)`);
    const noData = await lookUp(at('www.shop.test?type=MX'));
    expect(noData.run.result.error).toBe(`www.shop.test MX at ${server.authority}: the name has no MX records`);
  });

  test('a resolver that refuses the name', async () => {
    const { run } = await lookUp(at('example.org'));
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/refused the query \(REFUSED\)$/);
  });
});

describe('a resolver that does not answer', () => {
  test('nothing listening on its port: stopped, within the timeout', async () => {
    const silent = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const { run } = await lookUp(`dns://${silent}/www.shop.test`, 2);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(new RegExp(`^www\\.shop\\.test A at ${silent}: the resolver did not answer \\((ECONNREFUSED|ETIMEOUT)\\)$`));
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('targets the checker cannot ask are refused when written, naming the field', () => {
  test.each([
    ['dns://resolver.example/www.shop.test', /resolver as an IP address/],
    ['dns://127.0.0.1/www.shop.test?type=SOA', /record type "SOA": the dns check knows A, AAAA, CNAME, MX, TXT, NS/],
    ['dns://127.0.0.1/www.shop.test?expect=fd00::1', /not an IPv4 address/],
    ['dns://127.0.0.1/bad_label-.test', /must name a domain/],
    ['dns:www.shop.test?tpye=A', /unknown parameter "tpye"/],
    ['https://www.shop.test/', /must be a DNS URI for dns checks/],
  ])('%s', async (target, message) => {
    const error = (await lookUp(target).catch((e: unknown) => e)) as { problems?: { field: string; message: string }[] };
    expect(error.problems).toEqual([{ field: 'monitoring.target', message: expect.stringMatching(message) }]);
  });
});
