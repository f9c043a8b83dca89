/**
 * Live status over graphql-ws, end to end in one process: real WebSocket
 * clients against the real API server; checks run by the real engine against
 * a real TCP listener; inventory changed through real mutations.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DeleteServiceDocument, RevokeApiKeyDocument, RunCheckDocument } from '../graphql/generated.js';
import { ApiKeyModel } from '../../src/modules/auth/api-key.model.js';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../src/http/live-sockets.js';
import { useApiServer } from '../helpers/api.js';
import { hostInput, loopbackFor, serviceInput } from '../helpers/fixtures.js';
import { eventually, liveClient, rawSocket, subscribe, type LiveClient } from '../helpers/live-client.js';

const api = useApiServer(import.meta.filename, {}, { keepAliveMs: 300, maxQueuedEvents: 50, dashboardPeriodMs: 200 });

let listener: Server;
let port: number;
const clients: LiveClient[] = [];

beforeAll(async () => {
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

function connect(key: string | null = api.keys.viewer): LiveClient {
  const client = liveClient(api.url, key);
  clients.push(client);
  return client;
}

/** A TCP-checked service; `open` decides whether its port answers. */
async function tcpService(serviceId: string, hostId: string, open = true, extra: { environment?: 'production' | 'staging' | 'dev'; severity?: 'low' | 'medium' | 'high' | 'critical' } = {}) {
  if (!(await api.domain.hosts.get(hostId))) {
    await api.domain.hosts.create(hostInput({ host_id: hostId, ip_address: loopbackFor(hostId), environment: extra.environment ?? 'production' }));
  }
  await api.domain.services.create(
    serviceInput({
      service_id: serviceId,
      host_id: hostId,
      service_type: 'tcp',
      monitoring: { method: 'tcp', target: `tcp://127.0.0.1:${open ? port : 1}`, timeout_sec: 2, retry_attempts: 0, interval_sec: 60 },
      alerting: { severity: extra.severity ?? 'medium' },
    } as never),
  );
}

const runCheck = (serviceId: string) => api.data(RunCheckDocument, { serviceId }, { as: 'operator' });
/** Subscribers are registered once the server acknowledged them; a short pause covers the subscribe round trip. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

const STATUS_CHANGED = `subscription($filter: ServiceEventFilterInput, $since: DateTime) {
  serviceStatusChanged(filter: $filter, since: $since) { id at serviceId hostId previousStatus status historyId service { serviceId serviceName } check { id status } }
}`;
const CHECK_COMPLETED = `subscription($filter: ServiceEventFilterInput, $since: DateTime) {
  checkCompleted(filter: $filter, since: $since) { id serviceId status dueAt }
}`;

describe('serviceStatusChanged', () => {
  test('a check that changes a status reaches the subscriber with both statuses, the service and the check', async () => {
    await tcpService('svc_up', 'host_a');
    const feed = subscribe(connect().client, STATUS_CHANGED);
    await settle();
    const run = await runCheck('svc_up');
    const [event] = await feed.waitFor(1);
    expect(event!.serviceStatusChanged).toMatchObject({
      serviceId: 'svc_up',
      hostId: 'host_a',
      previousStatus: 'UNKNOWN',
      status: 'RUNNING',
      service: { serviceId: 'svc_up', serviceName: 'mysql.service' },
      check: { id: run.runCheck.check!.id, status: 'RUNNING' },
    });
    const change = event!.serviceStatusChanged as { id: string; historyId: string };
    expect(change.id).toBe(change.historyId);
  });

  test('a check that leaves the status as it was sends nothing', async () => {
    await tcpService('svc_up', 'host_a');
    await runCheck('svc_up');
    const feed = subscribe(connect().client, STATUS_CHANGED);
    await settle();
    await runCheck('svc_up');
    await settle();
    expect(feed.results).toEqual([]);
  });

  test('filters by service, host, environment and severity; every given criterion must hold', async () => {
    await tcpService('svc_prod_high', 'host_prod', true, { environment: 'production', severity: 'high' });
    await tcpService('svc_prod_low', 'host_prod', true, { environment: 'production', severity: 'low' });
    await tcpService('svc_stage_high', 'host_stage', true, { environment: 'staging', severity: 'high' });
    const { client } = connect();
    const byHost = subscribe(client, STATUS_CHANGED, { filter: { hostId: 'host_prod' } });
    const byService = subscribe(client, STATUS_CHANGED, { filter: { serviceId: 'svc_stage_high' } });
    const highInProduction = subscribe(client, STATUS_CHANGED, { filter: { environment: 'PRODUCTION', severity: 'HIGH' } });
    const byRegionElsewhere = subscribe(client, STATUS_CHANGED, { filter: { region: 'nowhere' } });
    await settle();
    for (const id of ['svc_prod_high', 'svc_prod_low', 'svc_stage_high']) await runCheck(id);
    await byHost.waitFor(2);
    await byService.waitFor(1);
    await highInProduction.waitFor(1);
    await settle();
    const ids = (feed: typeof byHost) => feed.data.map((d) => (d.serviceStatusChanged as { serviceId: string }).serviceId).sort();
    expect(ids(byHost)).toEqual(['svc_prod_high', 'svc_prod_low']);
    expect(ids(byService)).toEqual(['svc_stage_high']);
    expect(ids(highInProduction)).toEqual(['svc_prod_high']);
    expect(byRegionElsewhere.results).toEqual([]);
  });

  test('a client that reconnects with `since` gets what it missed from history, then live events, without duplicates', async () => {
    await tcpService('svc_flap', 'host_a');
    await tcpService('svc_down', 'host_a', false);
    const before = new Date(Date.now() - 1);
    await runCheck('svc_flap'); // unknown -> running
    await runCheck('svc_down'); // unknown -> stopped/error
    const feed = subscribe(connect().client, STATUS_CHANGED, { since: before.toISOString() });
    const replayed = await feed.waitFor(2);
    expect(replayed.map((d) => (d.serviceStatusChanged as { serviceId: string }).serviceId)).toEqual(['svc_flap', 'svc_down']);
    expect(replayed[0]!.serviceStatusChanged).toMatchObject({ previousStatus: 'UNKNOWN', status: 'RUNNING', check: { status: 'RUNNING' } });

    await api.domain.services.update('svc_flap', { monitoring: { target: 'tcp://127.0.0.1:1' } } as never);
    await runCheck('svc_flap'); // running -> down, live
    const all = await feed.waitFor(3);
    const ids = all.map((d) => (d.serviceStatusChanged as { id: string }).id);
    expect(new Set(ids).size).toBe(3);
    expect(all[2]!.serviceStatusChanged).toMatchObject({ serviceId: 'svc_flap', previousStatus: 'RUNNING' });
  });

  test('`since` compares with when a result was written, so a slow check that started before it is not lost', async () => {
    await tcpService('svc_slow', 'host_a');
    const since = new Date();
    // A check that started a minute ago (retries, timeouts) and is written now.
    await api.domain.recorder.record([{ service_id: 'svc_slow', timestamp: new Date(Date.now() - 60_000), status: 'stopped' }]);
    const feed = subscribe(connect().client, STATUS_CHANGED, { since: since.toISOString() });
    const [replayed] = await feed.waitFor(1);
    expect(replayed!.serviceStatusChanged).toMatchObject({ serviceId: 'svc_slow', previousStatus: 'UNKNOWN', status: 'STOPPED' });
    expect(+new Date((replayed!.serviceStatusChanged as { at: string }).at)).toBeGreaterThanOrEqual(+since);
  });

  test('`since` replays only changes after that instant, and only those the filter selects', async () => {
    await tcpService('svc_old', 'host_a');
    await tcpService('svc_new_a', 'host_a');
    await tcpService('svc_new_b', 'host_b');
    await runCheck('svc_old');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    await runCheck('svc_new_a');
    await runCheck('svc_new_b');
    const feed = subscribe(connect().client, STATUS_CHANGED, { since: since.toISOString(), filter: { hostId: 'host_a' } });
    await feed.waitFor(1);
    await settle();
    expect(feed.data.map((d) => (d.serviceStatusChanged as { serviceId: string }).serviceId)).toEqual(['svc_new_a']);
  });
});

describe('checkCompleted and recoveryEvent', () => {
  test('every check result arrives, including ones that change nothing, with no due time for on-demand checks', async () => {
    await tcpService('svc_up', 'host_a');
    const feed = subscribe(connect().client, CHECK_COMPLETED, { filter: { serviceId: 'svc_up' } });
    await settle();
    await runCheck('svc_up');
    await runCheck('svc_up');
    const events = await feed.waitFor(2);
    expect(events.map((e) => e.checkCompleted)).toMatchObject([
      { serviceId: 'svc_up', status: 'RUNNING', dueAt: null },
      { serviceId: 'svc_up', status: 'RUNNING', dueAt: null },
    ]);
  });

  test('checkCompleted with `since` replays the history entries after that instant', async () => {
    await tcpService('svc_up', 'host_a');
    const since = new Date(Date.now() - 1);
    const first = await runCheck('svc_up');
    const feed = subscribe(connect().client, CHECK_COMPLETED, { since: since.toISOString() });
    const [replayed] = await feed.waitFor(1);
    expect(replayed!.checkCompleted).toMatchObject({ id: first.runCheck.check!.id, serviceId: 'svc_up' });
  });

  test('an operator recovery of a down service sends attempted, then failed (no SSH to that host)', async () => {
    await tcpService('svc_down', 'host_a', false);
    const feed = subscribe(connect().client, `subscription { recoveryEvent { serviceId kind action message } }`);
    await settle();
    await api.request(
      (await import('../graphql/generated.js')).RecoverServiceDocument,
      { serviceId: 'svc_down', action: 'RESTART' as never },
      { as: 'operator' },
    );
    const events = await feed.waitFor(2, 15_000);
    expect(events.map((e) => (e.recoveryEvent as { kind: string }).kind)).toEqual(['ATTEMPTED', 'FAILED']);
    expect(events[1]!.recoveryEvent).toMatchObject({ serviceId: 'svc_down', action: 'RESTART' });
  });
});

describe('inventory changes', () => {
  test('hostChanged and serviceChanged follow creation, update and deletion', async () => {
    const { client } = connect();
    const hosts = subscribe(client, `subscription { hostChanged { hostId kind } }`);
    const services = subscribe(client, `subscription { serviceChanged(hostId: "host_live") { serviceId kind } }`);
    await settle();
    await tcpService('svc_live', 'host_live');
    await tcpService('svc_other', 'host_other');
    await api.domain.hosts.update('host_live', { hostname: 'renamed' });
    await api.data(DeleteServiceDocument, { serviceId: 'svc_live' });
    await hosts.waitFor(3);
    await services.waitFor(2);
    expect(hosts.data.map((d) => d.hostChanged)).toEqual([
      { hostId: 'host_live', kind: 'CREATED' },
      { hostId: 'host_other', kind: 'CREATED' },
      { hostId: 'host_live', kind: 'UPDATED' },
    ]);
    expect(services.data.map((d) => d.serviceChanged)).toEqual([
      { serviceId: 'svc_live', kind: 'CREATED' },
      { serviceId: 'svc_live', kind: 'DELETED' },
    ]);
  });

  test('the host or service on an event is read when the event is delivered: a deleted one is null', async () => {
    await tcpService('svc_gone', 'host_a');
    const feed = subscribe(connect().client, `subscription { serviceChanged { serviceId kind service { serviceId } } }`);
    await settle();
    await api.domain.services.update('svc_gone', { display_name: 'still here' } as never);
    const [updated] = await feed.waitFor(1);
    expect(updated!.serviceChanged).toEqual({ serviceId: 'svc_gone', kind: 'UPDATED', service: { serviceId: 'svc_gone' } });
    await api.domain.services.delete('svc_gone');
    const [, deleted] = await feed.waitFor(2);
    expect(deleted!.serviceChanged).toEqual({ serviceId: 'svc_gone', kind: 'DELETED', service: null });
  });

  test('deleting a service others depend on announces those others as updated (their dependencies changed)', async () => {
    await tcpService('svc_database', 'host_a');
    await tcpService('svc_app', 'host_b');
    await api.domain.services.update('svc_app', { dependencies: ['svc_database'] } as never);
    const feed = subscribe(connect().client, `subscription { serviceChanged { serviceId kind service { dependencyIds } } }`);
    await settle();
    await api.domain.services.delete('svc_database');
    expect((await feed.waitFor(2)).map((d) => d.serviceChanged)).toEqual([
      { serviceId: 'svc_database', kind: 'DELETED', service: null },
      { serviceId: 'svc_app', kind: 'UPDATED', service: { dependencyIds: [] } },
    ]);
  });

  test('deleting a host announces the deletion of each of its services, then of the host', async () => {
    await tcpService('svc_1', 'host_doomed');
    await tcpService('svc_2', 'host_doomed');
    const { client } = connect();
    const hosts = subscribe(client, `subscription { hostChanged(hostId: "host_doomed") { kind } }`);
    const services = subscribe(client, `subscription { serviceChanged(hostId: "host_doomed") { serviceId kind } }`);
    await settle();
    await api.domain.hosts.delete('host_doomed');
    const byId = (a: unknown, b: unknown) => (a as { serviceId: string }).serviceId.localeCompare((b as { serviceId: string }).serviceId);
    expect((await services.waitFor(2)).map((d) => d.serviceChanged).sort(byId)).toEqual([
      { serviceId: 'svc_1', kind: 'DELETED' },
      { serviceId: 'svc_2', kind: 'DELETED' },
    ]);
    expect((await hosts.waitFor(1))[0]!.hostChanged).toEqual({ kind: 'DELETED' });
  });
});

describe('dashboardSummaryChanged', () => {
  test('sends the summary at once, then a new one after a change, at most once per period', async () => {
    const feed = subscribe(connect().client, `subscription { dashboardSummaryChanged { totalHosts totalServices runningServices } }`);
    const [initial] = await feed.waitFor(1);
    expect(initial!.dashboardSummaryChanged).toEqual({ totalHosts: 0, totalServices: 0, runningServices: 0 });
    for (let i = 0; i < 5; i++) await tcpService(`svc_${i}`, 'host_a');
    await eventually(() => JSON.stringify(feed.data.at(-1)).includes('"totalServices":5'), 3_000, 'a summary with 5 services');
    // 6 changes (1 host, 5 services) within well under a second: far fewer pushes than changes.
    expect(feed.results.length).toBeLessThanOrEqual(4);
    const count = feed.results.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(feed.results.length).toBe(count);
  });
});

describe('authentication', () => {
  test('no key in connection_init closes the socket with 4401', async () => {
    const { closed } = connect(null);
    expect(await closed).toMatchObject({ code: 4401 });
  });

  test('a wrong key closes the socket with 4403', async () => {
    const { closed } = connect('smk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(await closed).toMatchObject({ code: 4403 });
  });

  test('a key revoked while connected is disconnected with 4403', async () => {
    const issued = await api.apiKeys.issue('dashboard', 'viewer');
    const { client, closed } = connect(issued.secret);
    const feed = subscribe(client, STATUS_CHANGED);
    await settle();
    await api.data(RevokeApiKeyDocument, { keyId: issued.apiKey.key_id });
    expect(await closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/revoked/) });
    await eventually(() => feed.completed, 2_000, 'the subscription to end');
  });

  test('a key revoked without the event reaching this process (Redis down) is still disconnected within a keep-alive period', async () => {
    const issued = await api.apiKeys.issue('dashboard', 'viewer');
    const { closed } = connect(issued.secret);
    await settle();
    await ApiKeyModel.updateOne({ key_id: issued.apiKey.key_id }, { $set: { revoked_at: new Date() } });
    expect(await closed).toMatchObject({ code: 4403 });
  });

  test('revoking one key leaves connections of other keys open', async () => {
    const revoked = await api.apiKeys.issue('to revoke', 'viewer');
    connect(revoked.secret);
    const other = connect();
    const feed = subscribe(other.client, `subscription { hostChanged { hostId } }`);
    await settle();
    await api.data(RevokeApiKeyDocument, { keyId: revoked.apiKey.key_id });
    await api.domain.hosts.create(hostInput({ host_id: 'host_after' }));
    await feed.waitFor(1);
  });
});

describe('protocol and errors', () => {
  test('an invalid subscription is refused with GRAPHQL_VALIDATION_FAILED and the socket stays open', async () => {
    const { client } = connect();
    const bad = subscribe(client, `subscription { serviceStatusChanged { noSuchField } }`);
    await eventually(() => bad.completed, 3_000, 'the refusal');
    expect(bad.error).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    const good = subscribe(client, `subscription { hostChanged { hostId } }`);
    await settle();
    await api.domain.hosts.create(hostInput({ host_id: 'host_x' }));
    await good.waitFor(1);
  });

  test('queries and mutations over the socket are refused, pointing to HTTP', async () => {
    const feed = subscribe(connect().client, `query { dashboardSummary { totalHosts } }`);
    await eventually(() => feed.completed, 3_000, 'the refusal');
    expect(feed.error).toEqual([expect.objectContaining({ message: expect.stringMatching(/HTTP/), extensions: { code: 'BAD_REQUEST' } })]);
  });

  test('the complexity limit applies to subscriptions as it does over HTTP', async () => {
    const feed = subscribe(connect().client, `subscription { serviceStatusChanged { service { host { services { serviceId } } } } }`);
    await settle();
    expect(feed.error).toBeUndefined();
    const costly = subscribe(
      connect().client,
      `subscription { serviceStatusChanged { service { host { services { dependencies { history(first: 500) { edges { node { id status error } } } } } } } } }`,
    );
    await eventually(() => costly.completed, 3_000, 'the refusal');
    expect(costly.error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }) })]);
  });

  test(`a connection holds at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions; one more is refused and the others go on`, async () => {
    const { client } = connect();
    const feeds = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () => subscribe(client, `subscription { hostChanged { hostId } }`));
    await settle();
    const extra = subscribe(client, `subscription { hostChanged { hostId } }`);
    await eventually(() => extra.completed, 3_000, 'the refusal');
    expect(extra.error).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
    await api.domain.hosts.create(hostInput({ host_id: 'host_many' }));
    await Promise.all(feeds.map((feed) => feed.waitFor(1)));
  });

  test('a message over 1 MiB closes the socket (1009) before anything reads it', async () => {
    const { socket, closed } = await rawSocket(api.url);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(1_100_000) } }));
    expect((await closed).code).toBe(1009);
  });

  test('a subscription sent over HTTP is refused with a clear error', async () => {
    const response = await api.post({ query: 'subscription { hostChanged { hostId } }' }, { authorization: `Bearer ${api.keys.viewer}` });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(response.status).toBe(400);
    expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(/WebSocket/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  test('a client that stops answering pings is dropped', async () => {
    const { socket, closed } = await rawSocket(api.url, { autoPong: false });
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${api.keys.viewer}` } }));
    const started = Date.now();
    const { code } = await closed;
    expect(code).toBe(1006); // terminated, no close frame
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('a client that answers pings stays connected across several keep-alive periods', async () => {
    const { socket, closed } = await rawSocket(api.url);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${api.keys.viewer}` } }));
    const outcome = await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('open'), 1_200))]);
    expect(outcome).toBe('open');
    socket.close();
  });
});

describe('slow clients', () => {
  let paused: Awaited<ReturnType<typeof rawSocket>>;
  beforeEach(async () => {
    paused = await rawSocket(api.url);
  });

  test('a client that stops reading is disconnected once its queue is full, instead of growing memory', async () => {
    const { socket, closed, messages } = paused;
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${api.keys.viewer}` } }));
    await eventually(() => messages.length > 0, 3_000, 'connection_ack');
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { checkCompleted { id serviceId status at } }' } }));
    await settle();
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const hub = api.live!.hub;
    const labels = { environment: 'production' as const, region: 'r', service_type: 'tcp', severity: 'low' as const };
    for (let i = 0; i < 20_000; i++) {
      await hub.publish('checkCompleted', { id: `e${i}`, at: new Date(), service_id: 'x'.repeat(200), host_id: 'h', labels, status: 'running', history_id: `e${i}`, due_at: null });
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (api.server.sockets!.connections() === 0) break;
    }
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toMatchObject({ code: 4413 });
  });
});

describe('one execution per event and selection', () => {
  test('twenty subscribers with the same selection cost one GraphQL execution per event; a different selection costs one more', async () => {
    await tcpService('svc_up', 'host_a');
    const same = Array.from({ length: 20 }, () => subscribe(connect().client, STATUS_CHANGED, { filter: { hostId: 'host_a' } }));
    const other = subscribe(connect().client, STATUS_CHANGED, { filter: { serviceId: 'svc_up' } });
    await settle();
    const stats = api.server.sockets!.stats;
    const before = { ...stats };
    await runCheck('svc_up');
    await Promise.all([...same, other].map((feed) => feed.waitFor(1)));
    expect(stats.deliveries - before.deliveries).toBe(21);
    expect(stats.executions - before.executions).toBe(2);
    const ids = new Set(same.map((feed) => (feed.data[0]!.serviceStatusChanged as { id: string }).id));
    expect(ids.size).toBe(1);
  });

  test('each execution reads the service afresh: a long-lived subscription never serves a stale cached copy', async () => {
    await tcpService('svc_up', 'host_a');
    const feed = subscribe(connect().client, `subscription { checkCompleted { service { displayName } } }`);
    await settle();
    await api.domain.services.update('svc_up', { display_name: 'first' } as never);
    await runCheck('svc_up');
    await api.domain.services.update('svc_up', { display_name: 'second' } as never);
    await runCheck('svc_up');
    const events = await feed.waitFor(2);
    expect(events.map((e) => (e.checkCompleted as { service: { displayName: string } }).service.displayName)).toEqual(['first', 'second']);
  });

  test('the depth limit applies to subscriptions too', async () => {
    const deep = subscribe(
      connect().client,
      `subscription { serviceStatusChanged { service { host { services { host { services { host { services { host { services { serviceId } } } } } } } } } } }`,
    );
    await eventually(() => deep.completed, 3_000, 'the refusal');
    expect(deep.error).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
  });
});
