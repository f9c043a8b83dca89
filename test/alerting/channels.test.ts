import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:net';
import { beforeEach, describe, expect, test } from 'vitest';
import type { NotificationChannel } from '../../src/modules/alerting/channel.model.js';
import { DeliveryError, summarize, type AlertMessage, type IncidentBrief } from '../../src/modules/alerting/channels/channel.js';
import { channelSenders } from '../../src/modules/alerting/channels/registry.js';
import { SIGNATURE_HEADER } from '../../src/modules/alerting/channels/webhook.channel.js';
import { useReceiver, type Received } from '../helpers/receiver.js';

const receiver = useReceiver();
beforeEach(() => receiver.reset());

const opened = new Date('2026-12-03T10:00:00Z');
const db: IncidentBrief = {
  incident_id: 'inc_db',
  service_id: 'svc_db',
  service_name: 'mysql.service',
  host_id: 'host_db',
  hostname: 'db-01.example.net',
  environment: 'production',
  region: 'jeju',
  severity: 'critical',
  state: 'triggered',
  opened_at: opened,
  acknowledged_at: null,
  resolved_at: null,
  last_error: 'connection refused <&>',
  caused_by_incident_id: null,
};
const app: IncidentBrief = { ...db, incident_id: 'inc_app', service_id: 'svc_app', service_name: 'app.service', host_id: 'host_app', hostname: 'app-01', severity: 'high', caused_by_incident_id: 'inc_db' };

function message(event: AlertMessage['event'], incidents: IncidentBrief[], note: string | null = null): AlertMessage {
  return { event, incidents, dependents: event === 'triggered' ? [app] : [], note, summary: summarize(event, incidents, note), sent_at: new Date('2026-12-03T10:00:05Z') };
}

function channel(type: NotificationChannel['type'], fields: Partial<NotificationChannel['settings']> = {}, secret: string | null = null): NotificationChannel {
  return {
    channel_id: `ch_${type}`,
    name: type,
    type,
    enabled: true,
    min_severity: 'low',
    rate_per_minute: 30,
    settings: { url: null, from: null, smtp_host: null, smtp_port: null, smtp_security: null, smtp_user: null, ...fields },
    secret,
    created_at: opened,
    updated_at: opened,
  };
}

const send = (type: NotificationChannel['type'], msg: AlertMessage, ch: NotificationChannel, timeoutMs = 5_000) => channelSenders[type].send(msg, ch, AbortSignal.timeout(timeoutMs));

describe('webhook', () => {
  test('posts the documented JSON, signed with HMAC-SHA256 over "<t>.<body>" that a receiver can verify', async () => {
    const secret = 'whsec_test_1234';
    receiver.validate = (request) => verifySignature(request, secret);
    await send('webhook', message('triggered', [db]), channel('webhook', { url: `${receiver.url}/hooks/monitor` }, secret));
    const [request] = receiver.received;
    expect(request!.path).toBe('/hooks/monitor');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.json).toMatchObject({
      version: 1,
      event: 'triggered',
      summary: '[CRITICAL] TRIGGERED: mysql.service on db-01.example.net (production) is down: connection refused <&>',
      incidents: [{ incident_id: 'inc_db', state: 'triggered', severity: 'critical', service_id: 'svc_db', hostname: 'db-01.example.net', environment: 'production', region: 'jeju', opened_at: '2026-12-03T10:00:00.000Z', resolved_at: null }],
      dependents: [{ incident_id: 'inc_app', caused_by_incident_id: 'inc_db' }],
    });
  });

  test('a signature made with another secret does not verify (the check is real)', async () => {
    receiver.validate = (request) => verifySignature(request, 'the receiver’s secret');
    const failure = await send('webhook', message('triggered', [db]), channel('webhook', { url: receiver.url }, 'another secret')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure).toMatchObject({ retryable: false, message: 'HTTP 400: signature does not match' });
  });
});

describe('slack', () => {
  test('posts an incoming-webhook message with text and Block Kit blocks, mrkdwn escaped', async () => {
    receiver.validate = validateSlack;
    await send('slack', message('triggered', [db]), channel('slack', {}, `${receiver.url}/services/T000/B000/XXXX`));
    const body = receiver.received[0]!.json as { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
    expect(body.text).toContain('[CRITICAL] TRIGGERED: mysql.service');
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(body.blocks[1]!.text!.text).toContain('connection refused &lt;&amp;&gt;');
    expect(JSON.stringify(body.blocks)).toContain('Also affected (depend on it): app.service');
  });
});

describe('pagerduty', () => {
  test('trigger, acknowledge and resolve are Events API v2 events with dedup_key = the incident id', async () => {
    receiver.validate = validatePagerDuty;
    const pd = channel('pagerduty', { url: `${receiver.url}/v2/enqueue` }, 'R0UTINGKEY0000000000000000000000');
    await send('pagerduty', message('triggered', [db]), pd);
    await send('pagerduty', message('acknowledged', [{ ...db, state: 'acknowledged' }], 'ops: looking'), pd);
    await send('pagerduty', message('resolved', [{ ...db, state: 'resolved', resolved_at: new Date() }]), pd);
    const events = receiver.received.map((r) => r.json as Record<string, unknown>);
    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', 'inc_db'],
      ['acknowledge', 'inc_db'],
      ['resolve', 'inc_db'],
    ]);
    expect(events[0]).toMatchObject({ routing_key: 'R0UTINGKEY0000000000000000000000', payload: { severity: 'critical', source: 'db-01.example.net', component: 'mysql.service', group: 'production' } });
  });
});

describe('alertmanager', () => {
  test('posts API v2 alerts labelled service, host, environment, region, severity; resolution sets endsAt', async () => {
    const am = channel('alertmanager', { url: `${receiver.url}/` });
    await send('alertmanager', message('triggered', [db]), am);
    const resolvedAt = new Date('2026-12-03T10:30:00Z');
    await send('alertmanager', message('resolved', [{ ...db, state: 'resolved', resolved_at: resolvedAt }]), am);
    expect(receiver.received.map((r) => r.path)).toEqual(['/api/v2/alerts', '/api/v2/alerts']);
    const [firing, resolved] = receiver.received.map((r) => (r.json as Record<string, any>[])[0]!);
    expect(firing!.labels).toEqual({ alertname: 'ServiceDown', service: 'mysql.service', service_id: 'svc_db', host: 'db-01.example.net', host_id: 'host_db', environment: 'production', region: 'jeju', severity: 'critical' });
    expect(Date.parse(firing!.endsAt)).toBeGreaterThan(Date.now() + 86_400_000); // firing until we resolve it
    expect(resolved!.endsAt).toBe(resolvedAt.toISOString());
  });
});

describe('delivery failures', () => {
  const hook = () => channel('webhook', { url: receiver.url }, 's');

  test('5xx and 429 are worth another try (429 says when); other 4xx are not', async () => {
    receiver.answerWith({ status: 503, body: 'down for maintenance' }, { status: 429, headers: { 'retry-after': '7' }, body: '' }, { status: 404, body: 'no such hook' });
    const errors: DeliveryError[] = [];
    for (let i = 0; i < 3; i++) errors.push((await send('webhook', message('triggered', [db]), hook()).catch((e: DeliveryError) => e)) as DeliveryError);
    expect(errors.map((e) => [e.message, e.retryable, e.retryAfterMs])).toEqual([
      ['HTTP 503: down for maintenance', true, undefined],
      ['HTTP 429', true, 7_000],
      ['HTTP 404: no such hook', false, undefined],
    ]);
  });

  test('a receiver that does not answer in time is a retryable timeout; one not listening, a retryable connection failure', async () => {
    receiver.answerWith({ delayMs: 2_000 });
    await expect(send('webhook', message('triggered', [db]), hook(), 300)).rejects.toMatchObject({ retryable: true, message: 'timed out' });
    const closedPort = await freePort();
    await expect(send('webhook', message('triggered', [db]), channel('webhook', { url: `http://127.0.0.1:${closedPort}/` }, 's'))).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/^could not connect \(ECONNREFUSED/),
    });
  });
});

function verifySignature(request: Received, secret: string): string | null {
  const header = String(request.headers[SIGNATURE_HEADER] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return 'signature header missing or malformed';
  const expected = createHmac('sha256', secret).update(`${match[1]}.${request.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex')) ? null : 'signature does not match';
}

/** What Slack's incoming webhooks accept: text, and blocks of known types within their limits. */
function validateSlack(request: Received): string | null {
  const body = request.json as { text?: unknown; blocks?: { type: string; text?: { type: string; text: string } }[] };
  if (typeof body?.text !== 'string' || !body.text) return 'no_text';
  if (!Array.isArray(body.blocks) || body.blocks.length > 50) return 'invalid_blocks';
  for (const block of body.blocks) {
    if (!['header', 'section', 'context', 'divider'].includes(block.type)) return 'invalid_blocks';
    if (block.type === 'header' && (block.text?.type !== 'plain_text' || block.text.text.length > 150)) return 'invalid_blocks';
    if (block.type === 'section' && (!block.text?.text || block.text.text.length > 3000)) return 'invalid_blocks';
  }
  return null;
}

/** PagerDuty Events API v2's rules for an event. */
function validatePagerDuty(request: Received): string | null {
  const e = request.json as Record<string, any>;
  if (typeof e?.routing_key !== 'string' || e.routing_key.length !== 32) return 'Invalid routing key';
  if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action)) return 'Invalid event_action';
  if (e.event_action !== 'trigger' && !e.dedup_key) return 'dedup_key is required';
  if (typeof e.dedup_key === 'string' && e.dedup_key.length > 255) return 'dedup_key too long';
  if (e.event_action === 'trigger') {
    const p = e.payload;
    if (!p || typeof p.summary !== 'string' || p.summary.length > 1024 || !p.source || !['critical', 'error', 'warning', 'info'].includes(p.severity)) return 'Invalid payload';
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
