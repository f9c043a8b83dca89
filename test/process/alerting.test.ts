/**
 * Alerting with real processes, as an operator runs them: email through Mailpit over STARTTLS; a notification
 * stored but not yet sent when its process is killed with SIGKILL goes out after a restart; with three workers,
 * each incident transition reaches the channel exactly once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { readUntil, useProcesses } from '../helpers/processes.js';
import { useReceiver } from '../helpers/receiver.js';
import { startMailpit, type RunningMailpit } from '../setup/alerting-servers.js';
import { selfSignedCertificate } from '../setup/databases.js';
import { loopbackFor } from '../helpers/fixtures.js';

const processes = useProcesses('alerting');
const hook = useReceiver();


/** Each test's own embedded database folder (the processes of one test share it). */
const dataDirFor = (name: string) => {
  const dir = join(processes.dataDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

async function startApi(env: Record<string, string>, dbPort: number) {
  const httpPort = await freePort();
  const api = processes.start('main.js', { EMBEDDED_DB_PORT: String(dbPort), PORT: String(httpPort), ...env }, /API listening/);
  await api.ready;
  const key = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(api.stdout())?.[0];
  return { process: api, httpPort, key };
}

function client(httpPort: number, key: string) {
  return async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

/** A TCP port that refuses connections until `open()`, then accepts them (a service that comes back). */
async function switchablePort() {
  const port = await freePort();
  let server: Server | null = null;
  return {
    port,
    async open() {
      server = createServer((socket) => socket.end());
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

const hostAndServices = (hostId: string, port: number, services: number, channel: string) => `mutation {
  createHost(input: { hostId: "${hostId}", hostname: "${hostId}.lab", ipAddress: "${loopbackFor(hostId)}", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
  ${Array.from(
    { length: services },
    (_, i) => `s${i}: createService(input: { serviceId: "${hostId}_s${i}", hostId: "${hostId}", serviceName: "tcp${i}.service", serviceType: "tcp",
      monitoring: { method: TCP, target: "tcp://127.0.0.1:${port}", intervalSec: 5, timeoutSec: 2, retryAttempts: 0 },
      alerting: { channels: [${channel}], severity: HIGH } }) { serviceId }`,
  ).join('\n')}
}`;

describe('email', () => {
  let mailpit: RunningMailpit;
  beforeAll(async () => {
    const tls = await selfSignedCertificate(2);
    mailpit = await startMailpit(tls);
    writeFileSync(join(processes.dataDir, 'smtp-ca.pem'), tls.cert);
  }, 30_000);
  afterAll(() => mailpit?.stop());

  test('a down service is mailed over STARTTLS (the server trusting the SMTP certificate through NODE_EXTRA_CA_CERTS)', { timeout: 60_000 }, async () => {
    const dbPort = await freePort();
    const { httpPort, key, process: server } = await startApi(
      { DATA_DIR: dataDirFor('email'), NODE_EXTRA_CA_CERTS: join(processes.dataDir, 'smtp-ca.pem'), ALERT_FAILURE_THRESHOLD: '1', ALERT_GROUP_WAIT_SEC: '0' },
      dbPort,
    );
    const graphql = client(httpPort, key!);
    const { createNotificationChannel } = await graphql(`mutation { createNotificationChannel(input: { name: "oncall mail", type: EMAIL, smtpHost: "127.0.0.1", smtpPort: ${mailpit.smtpPort},
      smtpSecurity: STARTTLS, from: "monitor@example.net", to: ["oncall@example.net"] }) { channelId } }`);
    const tested = await graphql(`mutation { testNotificationChannel(channelId: "${createNotificationChannel.channelId}") { delivered error } }`);
    expect(tested.testNotificationChannel).toEqual({ delivered: true, error: null });

    const down = await freePort();
    await graphql(hostAndServices('mailhost', down, 1, 'EMAIL'));
    const mails = await readUntil(() => mailpit.messages(), (m) => m.some((x) => x.subject.includes('TRIGGERED')));
    const alert = mails.find((m) => m.subject.includes('TRIGGERED'));
    expect(alert, `mail received: ${JSON.stringify(mails.map((m) => m.subject))}\n${server.stderr().slice(-3000)}`).toBeDefined();
    expect(alert).toMatchObject({ from: 'monitor@example.net', to: ['oncall@example.net'], subject: expect.stringMatching(/^\[HIGH\] TRIGGERED: tcp0\.service on mailhost\.lab \(dev\) is down/) });
    expect(alert!.text).toMatch(/incident: inc_/);
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
  });
});

describe('the outbox', () => {
  test('a notification stored when its process is killed (SIGKILL) is sent after a restart, once', { timeout: 90_000 }, async () => {
    hook.reset();
    const dbPort = await freePort();
    // The group wait keeps the stored notification from going out for 8 s: the kill comes in between.
    const env = { DATA_DIR: dataDirFor('kill'), ALERT_FAILURE_THRESHOLD: '1', ALERT_GROUP_WAIT_SEC: '8' };
    const first = await startApi(env, dbPort);
    const graphql = client(first.httpPort, first.key!);
    await graphql(`mutation { createNotificationChannel(input: { name: "hook", type: WEBHOOK, url: "${hook.url}/a" }) { channelId } }`);
    await graphql(hostAndServices('killhost', await freePort(), 1, 'WEBHOOK'));
    const pending = () => graphql('{ incidents { edges { node { incidentId deliveries { state } } } } }').then((d) => d.incidents.edges.map((e: any) => e.node));
    const stored = await readUntil(pending, (list) => list.length === 1 && list[0].deliveries.length === 1);
    expect(stored[0].deliveries).toEqual([{ state: 'PENDING' }]);
    first.process.child.kill('SIGKILL');
    await new Promise((resolve) => first.process.child.once('exit', resolve));
    expect(hook.received).toEqual([]);

    const second = await startApi(env, dbPort);
    const after = client(second.httpPort, first.key!);
    const sent = await readUntil(
      () => after('{ incidents { edges { node { deliveries { state } } } } }').then((d) => d.incidents.edges.map((e: any) => e.node)),
      (list) => list[0]?.deliveries[0]?.state === 'SENT',
    );
    expect(sent[0].deliveries).toEqual([{ state: 'SENT' }]);
    expect(hook.received.map((r) => (r.json as { event: string }).event)).toEqual(['triggered']);
    second.process.child.kill('SIGTERM');
    await new Promise((resolve) => second.process.child.once('exit', resolve));
  });

  test('three workers: every incident’s opening and resolution reach the channel exactly once', { timeout: 120_000 }, async () => {
    hook.reset();
    const dbPort = await freePort();
    const env = { DATA_DIR: dataDirFor('workers'), ALERT_FAILURE_THRESHOLD: '1', ALERT_SUCCESS_THRESHOLD: '1', ALERT_GROUP_WAIT_SEC: '1', ALERT_GROUP_INTERVAL_SEC: '3' };
    const api = await startApi({ ...env, PROCESS_MODE: 'api' }, dbPort);
    const graphql = client(api.httpPort, api.key!);
    await graphql(`mutation { createNotificationChannel(input: { name: "hook", type: WEBHOOK, url: "${hook.url}/b", ratePerMinute: 6000 }) { channelId } }`);
    const ports = [await switchablePort(), await switchablePort(), await switchablePort()];
    for (const [i, port] of ports.entries()) await graphql(hostAndServices(`farm${i}`, port.port, 10, 'WEBHOOK'));
    const workers = [0, 1, 2].map(() => processes.start('worker.js', { EMBEDDED_DB_PORT: String(dbPort), DISPATCH_SLOTS: '3', ...env }, /worker running checks/));
    await Promise.all(workers.map((w) => w.ready));

    const told = (event: string) => hook.received.flatMap((r) => ((r.json as { event: string }).event === event ? (r.json as { incidents: { incident_id: string }[] }).incidents.map((i) => i.incident_id) : []));
    await readUntil(async () => told('triggered'), (ids) => ids.length >= 30, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // any duplicate would have arrived by now
    const triggered = told('triggered');
    expect(triggered).toHaveLength(30);
    expect(new Set(triggered).size).toBe(30);

    for (const port of ports) await port.open();
    await readUntil(async () => told('resolved'), (ids) => ids.length >= 30, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const resolved = told('resolved');
    expect(resolved.sort()).toEqual([...triggered].sort());
    // Grouped per host: far fewer messages than incidents.
    expect(hook.received.length).toBeLessThan(30);
    for (const port of ports) await port.close();
    for (const w of [...workers, api.process]) w.child.kill('SIGTERM');
  });
});
