/**
 * Outbox sender throughput (issue 11): `groups` messages due at once (each a host's `per_group` incidents), to a
 * webhook receiver in this process, sent by one OutboxSender against the embedded database (mongo-java-server,
 * our launcher, H2 file). Prints messages/s and the time from due to sent (p50/p99), then `OUTBOX_RESULT {...}`.
 *
 *   npm run bench:outbox -- [groups=1000] [per_group=20]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { watchCommandTimes } from '../src/db/command-timing.js';
import { connectDatabase } from '../src/db/connection.js';
import { ensureIndexes } from '../src/db/indexes.js';
import { freePort, startLocalServer } from '../src/db/local-server.js';
import { silentLogger } from '../src/common/logger.js';
import { ChannelService } from '../src/modules/alerting/channel.service.js';
import { IncidentModel } from '../src/modules/alerting/incident.model.js';
import { enqueue } from '../src/modules/alerting/outbox.js';
import { DEFAULT_SENDER_SETTINGS, OutboxSender } from '../src/modules/alerting/outbox-sender.js';

const [groups = 1_000, perGroup = 20] = process.argv.slice(2).map(Number);
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] ?? null;

const receiver = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const dataDir = mkdtempSync(join(tmpdir(), 'outbox-bench-'));
const db = await startLocalServer('mongo-java-server', { port: await freePort(), dataDir });
try {
  await connectDatabase(db.uri, { mongodbDatabase: 'outbox_bench', mongodbMaxPoolSize: 50, mongodbMinPoolSize: 0, mongodbMaxIdleTimeMs: 45_000, mongodbConnectTimeoutMs: 10_000 }, { monitorCommands: true });
  await ensureIndexes(silentLogger);
  const channels = new ChannelService();
  const channel = await channels.create({ name: 'bench', type: 'webhook', url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`, rate_per_minute: 6000 } as never);
  const now = new Date();
  const incidents = Array.from({ length: groups * perGroup }, (_, i) => ({
    incident_id: `inc_${i}`, service_id: `s${i}`, open_service_id: `s${i}`, service_name: `svc-${i}.service`, host_id: `h${i % groups}`, hostname: `host-${i % groups}`,
    environment: 'production', region: 'r1', severity: 'high', state: 'triggered', opened_at: now, failure_count: 3, success_streak: 0, flapping: false, notified: true,
    notified_channels: [channel.channel_id], timeline: [], expires_at: null,
  }));
  for (let i = 0; i < incidents.length; i += 5_000) await IncidentModel.collection.insertMany(incidents.slice(i, i + 5_000));
  // As the notifier queues an outage: one entry per host, holding its incidents.
  const byHost = new Map<string, typeof incidents>();
  for (const incident of incidents) byHost.set(incident.host_id, [...(byHost.get(incident.host_id) ?? []), incident]);
  await enqueue([...byHost].map(([hostId, list]) => ({ channel_id: channel.channel_id, incident_id: list[0]!.incident_id, incident_ids: list.map((i) => i.incident_id), event: 'triggered' as const, group_key: `host:${hostId}`, not_before: now })), 30, now);
  const commands = new Map<string, number[]>();
  watchCommandTimes(mongoose.connection.getClient(), (t) => commands.set(`${t.command} ${t.collection}`, [...(commands.get(`${t.command} ${t.collection}`) ?? []), t.durationMs]));
  const sender = new OutboxSender(channels, { ...DEFAULT_SENDER_SETTINGS, concurrency: Number(process.env.OUTBOX_CONCURRENCY ?? DEFAULT_SENDER_SETTINGS.concurrency) }, silentLogger);
  const sentAt: number[] = [];
  sender.observe((d) => d.outcome === 'sent' && sentAt.push(Date.now()));
  const started = Date.now();
  sender.start();
  while (sentAt.length < groups && Date.now() - started < 300_000) await new Promise((r) => setTimeout(r, 50));
  await sender.stop();
  const seconds = (Date.now() - started) / 1000;
  const waits = sentAt.map((at) => at - started);
  const result = { groups, per_group: perGroup, sent: sentAt.length, seconds: Number(seconds.toFixed(2)), messages_per_sec: Math.round(sentAt.length / seconds), due_to_sent_ms: { p50: percentile(waits, 50), p99: percentile(waits, 99) }, machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`, database: 'mongo-java-server (H2 file)' };
  for (const [name, times] of commands) process.stdout.write(`${name}: ${times.length} commands, p50 ${percentile(times, 50)?.toFixed(1)} ms, p99 ${percentile(times, 99)?.toFixed(1)} ms, total ${Math.round(times.reduce((a, b) => a + b, 0))} ms\n`);
  process.stdout.write(`${result.sent} messages in ${result.seconds} s: ${result.messages_per_sec}/s; due -> sent p50/p99 ${result.due_to_sent_ms.p50}/${result.due_to_sent_ms.p99} ms\nOUTBOX_RESULT ${JSON.stringify(result)}\n`);
} finally {
  await mongoose.disconnect();
  await db.stop();
  receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
}
