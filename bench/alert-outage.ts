/**
 * Alerting outage benchmark (issue 11): the built server, started as an operator starts it (embedded
 * mongo-java-server, a fresh DATA_DIR, alerting at its defaults), watches N HTTP services on H hosts (one loopback
 * listener per host, on its own 127.x address), notifying one webhook (a receiver in this process) and one
 * Alertmanager (Debian's, started here, when installed). Once every service was checked up, all of them go down
 * at once (their listeners answer 500). It reports:
 *   - incidents opened, and detection (the incident's openedAt) -> first webhook message carrying it, p50/p99, per
 *     incident and per host (the host's first incident -> the host's first message);
 *   - messages sent (webhook, Alertmanager posts) against incidents: grouping per host;
 *   - lost (an incident no message carried) and duplicates (an incident in two opening messages);
 *   - the engine's schedule lag (checkCompleted dueAt -> check start, 5 hosts) before and during the outage.
 *
 *   npm run bench:outage -- [services=10000] [hosts=500] [interval_sec=30]
 *
 * Output: progress on stderr, a summary on stdout, then one JSON line (`OUTAGE_RESULT {...}`).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { freePort } from '../src/db/local-server.js';
import { startAlertmanager, type RunningAlertmanager } from '../test/setup/alerting-servers.js';

const [services = 10_000, hosts = 500, intervalSec = 30] = process.argv.slice(2).map(Number);
if (![services, hosts, intervalSec].every((n) => Number.isInteger(n) && n > 0) || hosts > 60_000 || intervalSec < 5) {
  process.stderr.write('usage: npm run bench:outage -- [services=10000] [hosts=500 (at most 60000)] [interval_sec=30 (at least 5)]\n');
  process.exit(2);
}
const root = join(import.meta.dirname, '..', '..');
const log = (line: string) => process.stderr.write(`[outage ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const cleanups: (() => Promise<void> | void)[] = [];
const cleanup = async () => {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch((e: unknown) => log(`cleanup: ${String(e)}`));
};
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
};

// The targets: one listener per host; `down` flips them all to 500 at once.
let down = false;
async function startTargets(): Promise<{ ip: string; port: number }[]> {
  const servers: Server[] = [];
  const addresses: { ip: string; port: number }[] = [];
  for (let h = 0; h < hosts; h++) {
    const ip = `127.2.${Math.floor(h / 250)}.${(h % 250) + 1}`;
    const server = createServer((_req, res) => {
      res.writeHead(down ? 500 : 200);
      res.end(down ? 'down' : 'ok');
    });
    await new Promise<void>((resolve) => server.listen(0, ip, 511, resolve));
    servers.push(server);
    addresses.push({ ip, port: (server.address() as { port: number }).port });
  }
  cleanups.push(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));
  return addresses;
}

// The webhook receiver: every message, when it arrived.
const messages: { at: number; event: string; incidents: { incident_id: string; host_id: string }[] }[] = [];
async function startReceiver(): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { event: string; incidents: { incident_id: string; host_id: string }[] };
      messages.push({ at: Date.now(), event: body.event, incidents: body.incidents });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => void server.close());
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
}

async function startServer(): Promise<{ url: string; key: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outage-'));
  const [port, dbPort] = [await freePort(), await freePort()];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MONGODB_') && k !== 'EMBEDDED_DB' && k !== 'NODE_ENV' && !k.startsWith('npm_')));
  // OUTAGE_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": node options for the server alone.
  const nodeArgs = (process.env.OUTAGE_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', PORT: String(port), EMBEDDED_DB_PORT: String(dbPort), RATE_LIMIT_PER_SEC: '100000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(20_000)]);
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server exited (${code}):\n${lines.slice(-20).join('\n')}`)));
    // OUTAGE_SERVER_LOG=/tmp/server.log: the server's whole log, for reading afterwards.
    const logFile = process.env.OUTAGE_SERVER_LOG;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      if (logFile) appendFileSync(logFile, `${line}\n`);
      if (line.includes('API listening')) resolve();
    });
  });
  for (let i = 0; i < 50 && !/smk_[A-Za-z0-9_-]+/.test(stdout); i++) await sleep(100);
  return { url: `http://127.0.0.1:${port}/graphql`, key: /smk_[A-Za-z0-9_-]+/.exec(stdout)![0] };
}

async function main(): Promise<void> {
  log(`${services} services on ${hosts} hosts, every ${intervalSec} s; ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB`);
  const [targets, hookUrl] = [await startTargets(), await startReceiver()];
  let alertmanager: RunningAlertmanager | null = null;
  try {
    alertmanager = await startAlertmanager();
    cleanups.push(() => alertmanager!.stop());
  } catch (error) {
    log(`no Alertmanager (${(error as Error).message.split('\n')[0]}): webhook only`);
  }
  const { url, key } = await startServer();
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: any; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
    return body.data;
  };
  await gql(`mutation { createNotificationChannel(input: { name: "bench hook", type: WEBHOOK, url: "${hookUrl}", ratePerMinute: 6000 }) { channelId } }`);
  const channels = ['WEBHOOK'];
  if (alertmanager) {
    await gql(`mutation { createNotificationChannel(input: { name: "bench am", type: ALERTMANAGER, url: "${alertmanager.api}", ratePerMinute: 6000 }) { channelId } }`);
    channels.push('ALERTMANAGER');
  }

  const hostIds = targets.map((_, h) => `outage_h${h}`);
  for (let h = 0; h < hosts; h += 25) {
    const batch = targets.slice(h, h + 25);
    await gql(
      `mutation { ${batch.map((t, i) => `h${i}: createHost(input: { hostId: "${hostIds[h + i]}", hostname: "outage-${h + i}", ipAddress: "${t.ip}", environment: PRODUCTION, region: "r${(h + i) % 4}", sshConfig: { user: "x" } }) { hostId }`).join('\n')} }`,
    );
  }
  const started = Date.now();
  for (let s = 0; s < services; s += 25) {
    const batch = Array.from({ length: Math.min(25, services - s) }, (_, i) => s + i);
    const spreadDue = started + (s / services) * intervalSec * 1000;
    if (spreadDue > Date.now()) await sleep(spreadDue - Date.now());
    await gql(
      `mutation { ${batch
        .map((i) => {
          const h = i % hosts;
          return `s${i}: createService(input: { serviceId: "outage_s${i}", hostId: "${hostIds[h]}", serviceName: "svc-${i}.service", serviceType: "web",
          monitoring: { method: HTTP, target: "http://${targets[h]!.ip}:${targets[h]!.port}/s${i}", intervalSec: ${intervalSec}, timeoutSec: 5, retryAttempts: 0 },
          recovery: { recoverOnDown: false }, alerting: { channels: [${channels.join(', ')}], severity: HIGH } }) { serviceId }`;
        })
        .join('\n')} }`,
    );
    if (s % 2000 === 0) log(`created ${s + batch.length}/${services} services`);
  }
  log(`fleet created in ${((Date.now() - started) / 1000).toFixed(1)} s; one interval for every first check`);

  // The engine's lag, from 5 hosts' checkCompleted events.
  const lag: { at: number; ms: number }[] = [];
  const ws = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
  cleanups.push(() => void ws.dispose());
  for (const hostId of hostIds.slice(0, 5)) {
    ws.subscribe(
      { query: `subscription { checkCompleted(filter: { hostId: "${hostId}" }) { dueAt check { timestamp } } }` },
      {
        next: ({ data }) => {
          const e = (data as any)?.checkCompleted;
          if (e?.dueAt && e.check?.timestamp) lag.push({ at: Date.now(), ms: Date.parse(e.check.timestamp) - Date.parse(e.dueAt) });
        },
        error: () => {},
        complete: () => {},
      },
    );
  }
  await sleep((intervalSec + 10) * 1000);

  const outageAt = Date.now();
  down = true;
  log('outage: every service answers 500 now');
  const openCount = async () => (await gql('{ incidents(filter: { states: [TRIGGERED, ACKNOWLEDGED] }, first: 0) { totalCount } }')).incidents.totalCount as number;
  const deadline = Date.now() + (intervalSec * 4 + 120) * 1000;
  let open = 0;
  while (Date.now() < deadline && (open = await openCount()) < services) {
    await sleep(2_000);
    log(`${open} incidents open`);
  }
  log(`${open} incidents open; waiting for the group interval's updates`);
  await sleep(90_000);

  const incidents: { incidentId: string; hostId: string; openedAt: string; deliveries: { event: string; state: string; createdAt: string; notBefore: string; sentAt: string | null }[] }[] = [];
  for (let after: string | null = null; ; ) {
    const page: any = await gql(
      'query($after: String) { incidents(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { incidentId hostId openedAt deliveries { event state createdAt notBefore sentAt } } } } }',
      { after },
    );
    incidents.push(...page.incidents.edges.map((e: any) => e.node));
    if (!page.incidents.pageInfo.hasNextPage) break;
    after = page.incidents.pageInfo.endCursor;
  }
  if (process.env.OUTAGE_DUMP) writeFileSync(process.env.OUTAGE_DUMP, JSON.stringify({ incidents, messages }));
  const opening = messages.filter((m) => m.event === 'triggered');
  const firstMessage = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const m of opening) {
    for (const i of m.incidents) {
      seen.set(i.incident_id, (seen.get(i.incident_id) ?? 0) + 1);
      if (!firstMessage.has(i.incident_id)) firstMessage.set(i.incident_id, m.at);
    }
  }
  const perIncident = incidents.filter((i) => firstMessage.has(i.incidentId)).map((i) => firstMessage.get(i.incidentId)! - Date.parse(i.openedAt));
  const hostDetection = new Map<string, number>();
  for (const i of incidents) hostDetection.set(i.hostId, Math.min(hostDetection.get(i.hostId) ?? Infinity, Date.parse(i.openedAt)));
  const hostFirst = new Map<string, number>();
  for (const m of opening) for (const i of m.incidents) hostFirst.set(i.host_id, Math.min(hostFirst.get(i.host_id) ?? Infinity, m.at));
  const perHost = [...hostDetection].filter(([h]) => hostFirst.has(h)).map(([h, detected]) => hostFirst.get(h)! - detected);
  // Where the time went, per opening notification: opened -> queued, queued -> due (the group wait), due -> sent.
  const stages = { queued: [] as number[], due: [] as number[], sent: [] as number[], unsent: 0 };
  for (const i of incidents) {
    for (const d of i.deliveries.filter((x) => x.event === 'TRIGGERED')) {
      stages.queued.push(Date.parse(d.createdAt) - Date.parse(i.openedAt));
      stages.due.push(Date.parse(d.notBefore) - Date.parse(d.createdAt));
      if (d.sentAt) stages.sent.push(Date.parse(d.sentAt) - Date.parse(d.notBefore));
      else stages.unsent++;
    }
  }
  const amAlerts = alertmanager ? (await alertmanager.alerts()).filter((a) => a.labels.alertname === 'ServiceDown').length : null;
  const lagBefore = lag.filter((l) => l.at < outageAt).map((l) => l.ms);
  const lagDuring = lag.filter((l) => l.at >= outageAt).map((l) => l.ms);
  const result = {
    services,
    hosts,
    interval_sec: intervalSec,
    incidents: incidents.length,
    detection_to_notification_ms: { per_incident: { p50: percentile(perIncident, 50), p99: percentile(perIncident, 99) }, per_host: { p50: percentile(perHost, 50), p99: percentile(perHost, 99) } },
    webhook_opening_messages: opening.length,
    messages_per_host: Number((opening.length / hosts).toFixed(2)),
    lost: incidents.filter((i) => !firstMessage.has(i.incidentId)).length,
    duplicates: [...seen.values()].filter((n) => n > 1).length,
    alertmanager_active_alerts: amAlerts,
    stages_ms: Object.fromEntries((['queued', 'due', 'sent'] as const).map((k) => [k, { p50: percentile(stages[k], 50), p99: percentile(stages[k], 99), max: percentile(stages[k], 100) }])),
    unsent_deliveries: stages.unsent,
    lag_ms: { before: { p50: percentile(lagBefore, 50), p99: percentile(lagBefore, 99) }, during: { p50: percentile(lagDuring, 50), p99: percentile(lagDuring, 99), max: percentile(lagDuring, 100) } },
    machine: `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  };
  process.stdout.write(
    [
      `incidents opened: ${result.incidents} of ${services}`,
      `detection -> first notification: per incident p50/p99 ${result.detection_to_notification_ms.per_incident.p50}/${result.detection_to_notification_ms.per_incident.p99} ms; per host p50/p99 ${result.detection_to_notification_ms.per_host.p50}/${result.detection_to_notification_ms.per_host.p99} ms`,
      `webhook opening messages: ${result.webhook_opening_messages} (${result.messages_per_host} per host); lost ${result.lost}; duplicates ${result.duplicates}; Alertmanager active alerts ${amAlerts ?? 'n/a'}`,
      `stages (p50/p99/max ms): opened -> queued ${Object.values(result.stages_ms.queued).join('/')}, queued -> due ${Object.values(result.stages_ms.due).join('/')}, due -> sent ${Object.values(result.stages_ms.sent).join('/')}; unsent ${result.unsent_deliveries}`,
      `engine lag p50/p99: before ${result.lag_ms.before.p50}/${result.lag_ms.before.p99} ms, during ${result.lag_ms.during.p50}/${result.lag_ms.during.p99} ms (max ${result.lag_ms.during.max})`,
      `OUTAGE_RESULT ${JSON.stringify(result)}`,
      '',
    ].join('\n'),
  );
}

await main()
  .catch((error: unknown) => {
    log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
process.exit(process.exitCode ?? 0);
