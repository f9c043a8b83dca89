/**
 * No N+1: nested fields are fetched per request with one query per kind
 * (DataLoader), so the number of database commands for a page does not grow with
 * the page. Service.history is the documented exception: one indexed query per
 * service, all issued in one batch.
 */
import { describe, expect, test } from 'vitest';
import { HostsDeepDocument, ServicesWithHistoryDocument, type HostsDeepQuery, type ServicesWithHistoryQuery } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { countCommands } from '../helpers/database.js';

const api = useApiServer(import.meta.filename);

const MINUTE = 60_000;
const pad = (i: number) => String(i).padStart(3, '0');
const hostId = (i: number) => `host_${pad(i)}`;

/** `count` hosts, each with svc_NNN_a and svc_NNN_b (b depends on a); every other host's services have two checks. */
async function seedFleet(count: number): Promise<void> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  for (let start = 0; start < count; start += 20) {
    const chunk = indexes.slice(start, start + 20);
    await Promise.all(
      chunk.map((i) =>
        api.domain.hosts.create({
          host_id: hostId(i),
          hostname: `host-${pad(i)}`,
          ip_address: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
          environment: 'production',
          region: 'eu-west-1',
          ssh_config: { user: 'monitor' },
        }),
      ),
    );
    await Promise.all(chunk.map((i) => api.domain.services.create({ service_id: `svc_${pad(i)}_a`, host_id: hostId(i), service_name: 'a.service', service_type: 'mysql' })));
    await Promise.all(
      chunk.map((i) =>
        api.domain.services.create({ service_id: `svc_${pad(i)}_b`, host_id: hostId(i), service_name: 'b.service', service_type: 'nginx', dependencies: [`svc_${pad(i)}_a`] }),
      ),
    );
  }
  const base = Date.now() - 30 * MINUTE;
  await api.domain.recorder.record(
    indexes
      .filter((i) => i % 2 === 0)
      .flatMap((i) =>
        (['a', 'b'] as const).flatMap((s) => [
          { service_id: `svc_${pad(i)}_${s}`, timestamp: new Date(base), status: 'running' as const },
          { service_id: `svc_${pad(i)}_${s}`, timestamp: new Date(base + MINUTE), status: 'running' as const },
        ]),
      ),
  );
}

const reads = (counts: Record<string, number>) => (counts.find ?? 0) + (counts.aggregate ?? 0);

describe('batched loading', () => {
  test('hosts → services → host, dependencies and uptime costs the same few queries for 10 hosts as for 100', async () => {
    await seedFleet(100);

    let small!: HostsDeepQuery;
    let large!: HostsDeepQuery;
    const smallCounts = await countCommands(async () => {
      small = await api.data(HostsDeepDocument, { first: 10 });
    });
    const largeCounts = await countCommands(async () => {
      large = await api.data(HostsDeepDocument, { first: 100 });
    });
    console.log(`[batching] hosts(first: 10): ${JSON.stringify(smallCounts)}; hosts(first: 100): ${JSON.stringify(largeCounts)}`);

    // Hosts page, services of the hosts, their hosts, their dependencies, uptime (3): 7 reads (the key's aside).
    expect(reads(largeCounts)).toBeLessThanOrEqual(7);
    expect(reads(largeCounts)).toBe(reads(smallCounts));
    expect(largeCounts.find).toBe(smallCounts.find);
    expect(largeCounts.aggregate ?? 0).toBe(smallCounts.aggregate ?? 0);

    // And the batched answers are each parent's own.
    expect(small.hosts.edges).toHaveLength(10);
    expect(large.hosts.edges).toHaveLength(100);
    for (const [i, { node }] of large.hosts.edges.entries()) {
      expect(node.hostId).toBe(hostId(i));
      expect(node.services.map((s) => s.serviceId)).toEqual([`svc_${pad(i)}_a`, `svc_${pad(i)}_b`]);
      expect(node.services.map((s) => s.host?.hostId)).toEqual([hostId(i), hostId(i)]);
      expect(node.services.map((s) => s.dependencies.map((d) => d.serviceId))).toEqual([[], [`svc_${pad(i)}_a`]]);
      expect(node.services.map((s) => s.uptime?.percentage ?? null)).toEqual(i % 2 === 0 ? [100, 100] : [null, null]);
    }
  }, 120_000);

  test('Service.history is one query per service, all in one batch: exactly N + 1 reads for N services', async () => {
    await seedFleet(30); // 60 services
    const since = new Date(Date.now() - 2 * 60 * MINUTE).toISOString();
    const measured: Record<number, number> = {};
    for (const n of [5, 20, 60]) {
      let result!: ServicesWithHistoryQuery;
      const counts = await countCommands(async () => {
        result = await api.data(ServicesWithHistoryDocument, { first: n, historyFirst: 1, since });
      });
      measured[n] = reads(counts);
      expect(result.services.edges).toHaveLength(n);
      for (const { node } of result.services.edges) {
        const checked = Number(node.serviceId.slice(4, 7)) % 2 === 0;
        expect(node.history.edges.map((e) => e.node.serviceId)).toEqual(checked ? [node.serviceId] : []);
        expect(node.history.pageInfo.hasNextPage).toBe(checked);
      }
      // The page of services, then one history query per service; nothing else (the key's read aside).
      expect(counts.find, `${n} services: ${JSON.stringify(counts)}`).toBe(n + 1);
      expect(counts.aggregate ?? 0).toBe(0);
    }
    console.log(`[batching] services(first: n) { history } reads: ${JSON.stringify(measured)}`);
  }, 120_000);

  test('the same nested field asked twice for one parent is loaded once (per-request cache)', async () => {
    await seedFleet(3);
    const query = `{ a: hosts(first: 3) { edges { node { services { host { hostId } } } } }
                     b: hosts(first: 3) { edges { node { services { host { hostId } } } } } }`;
    const once = await countCommands(() => api.post({ query: '{ hosts(first: 3) { edges { node { services { host { hostId } } } } } }' }, { authorization: `Bearer ${api.keys.admin}` }));
    const twice = await countCommands(async () => {
      const response = await api.post({ query }, { authorization: `Bearer ${api.keys.admin}` });
      expect(response.status).toBe(200);
    });
    // Two pages of hosts (aliases are separate fields), but services and hosts by id come from the same loaders.
    expect(reads(twice)).toBe(reads(once) + 1);
  });
});
