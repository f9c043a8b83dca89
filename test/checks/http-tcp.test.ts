/**
 * The http and tcp checkers through the engine, against real servers on
 * loopback ports (node:http / node:https with openssl-made certificates,
 * node:net listeners) from test/setup/databases.ts.
 */
import { globalAgent } from 'node:https';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createDomain } from '../../src/modules/domain.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine } from '../helpers/engine.js';
import { closedPort, startHttpServer, startTcpListener, type HttpHandler, type TestHttpServer, type TestTcpListener } from '../setup/databases.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
let harness: ReturnType<typeof createTestEngine>;
/** Servers started by the current test; stopped after it. */
const servers: (TestHttpServer | TestTcpListener)[] = [];

beforeEach(async () => {
  await harness?.close();
  harness = createTestEngine(domain);
  await domain.hosts.create({ host_id: 'host_web', hostname: 'web-host', ip_address: '127.0.0.1', environment: 'dev', region: 'lab', ssh_config: { user: 'monitor' } });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await harness?.close();
});

async function http(handler: HttpHandler, options: Parameters<typeof startHttpServer>[1] = {}): Promise<TestHttpServer> {
  const started = Date.now();
  const server = await startHttpServer(handler, options);
  if (options.https) process.stderr.write(`http-tcp.test: https server with a ${options.https.days}-day certificate ready in ${Date.now() - started} ms\n`);
  servers.push(server);
  return server;
}

const reply =
  (status: number, body = '', type = 'text/plain'): HttpHandler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };

let counter = 0;
async function addService(method: 'http' | 'tcp', target: string, monitoring: Record<string, unknown> = {}): Promise<string> {
  const serviceId = `svc_${method}_${++counter}`;
  await domain.services.create({
    service_id: serviceId,
    host_id: 'host_web',
    service_name: 'web.service',
    service_type: 'web',
    monitoring: { method, target, interval_sec: 60, timeout_sec: 5, retry_attempts: 0, retry_delay_sec: 0, ...monitoring },
  });
  return serviceId;
}

async function check(method: 'http' | 'tcp', target: string, monitoring: Record<string, unknown> = {}) {
  const serviceId = await addService(method, target, monitoring);
  const run = await harness.engine.runNow(serviceId);
  expect((await domain.services.require(serviceId)).current_status, 'the stored status follows the check').toBe(run.recorded.status);
  return run;
}

describe('http: status codes', () => {
  test('200 is running, with the HTTP status as a metric; the server saw one GET', async () => {
    const server = await http(reply(200, 'hello'));
    const run = await check('http', `${server.url}/health`);
    expect(run.recorded.status).toBe('running');
    expect(run.result).toMatchObject({ status_code: 0, error: null });
    expect(run.result.metrics?.custom).toEqual({ http_status: 200, attempts: 1 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/health' });
    expect(server.requests[0]!.headers['user-agent']).toBe('service-monitor');
    const stored = await MonitoringCheckModel.findOne({ service_id: run.result.service_id }).lean();
    expect(stored).toMatchObject({ status: 'running', status_code: 0 });
  });

  test('500 is an error whose status_code is 500', async () => {
    const server = await http(reply(500, 'boom'));
    const run = await check('http', server.url);
    expect(run.recorded.status).toBe('error');
    expect(run.result.status_code).toBe(500);
    expect(run.result.error).toBe(`HTTP 500 from ${new URL(server.url).origin}/ is not an expected status`);
    expect(run.result.metrics?.custom).toMatchObject({ http_status: 500 });
  });

  test('a redirect is followed to its answer, and the final URL recorded', async () => {
    const server = await http((req, res) => {
      if (req.url === '/') res.writeHead(302, { location: '/elsewhere' });
      else res.writeHead(200);
      res.end();
    });
    const run = await check('http', server.url);
    expect(run.recorded.status).toBe('running');
    expect(server.requests.map((r) => r.url)).toEqual(['/', '/elsewhere']);
    expect(run.result.metrics?.custom).toMatchObject({ http_status: 200, final_url: `${new URL(server.url).origin}/elsewhere` });
  });

  test('expected_status [204]: 200 is an error, 204 is running', async () => {
    const ok = await http(reply(200, 'fine'));
    const wrong = await check('http', ok.url, { expected_status: [204] });
    expect(wrong.recorded.status).toBe('error');
    expect(wrong.result).toMatchObject({ status_code: 200, error: expect.stringMatching(/^HTTP 200 from http:\/\/127\.0\.0\.1:\d+\/ is not an expected status$/) });

    const noContent = await http((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const right = await check('http', noContent.url, { expected_status: [204] });
    expect(right.recorded.status).toBe('running');
    expect(right.result.metrics?.custom).toMatchObject({ http_status: 204 });
  });

  test('expected_status may make a 503 count as up', async () => {
    const server = await http(reply(503, 'maintenance page'));
    expect((await check('http', server.url, { expected_status: [200, 503] })).recorded.status).toBe('running');
  });
});

describe('http: redirects', () => {
  test('the path that answered wrongly is in the message; the query (a token, often) is not', async () => {
    const app = await http((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const front = await http((_req, res) => {
      res.writeHead(301, { location: `${app.url}/v2/health?token=hunter2` });
      res.end();
    });
    const run = await check('http', `${front.url}/health?token=hunter2`);
    expect(run.result.error).toBe(`HTTP 503 from ${new URL(app.url).origin}/v2/health is not an expected status`);
    expect(JSON.stringify(run.result)).not.toContain('hunter2');
  });

  test('a redirect loop stops at HTTP_MAX_REDIRECTS (5) with an error saying so', async () => {
    const server = await http((req, res) => {
      res.writeHead(307, { location: req.url === '/a' ? '/b' : '/a' });
      res.end();
    });
    const run = await check('http', `${server.url}/a`);
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/^HTTP 307 from http:\/\/127\.0\.0\.1:\d+\/[ab]: more than 5 redirects$/);
    expect(server.requests).toHaveLength(6);
  });

  test('a redirect the service expects is its answer, not followed', async () => {
    const server = await http((_req, res) => {
      res.writeHead(302, { location: '/login' });
      res.end();
    });
    const run = await check('http', server.url, { expected_status: [302] });
    expect(run.recorded.status).toBe('running');
    expect(server.requests).toHaveLength(1);
  });

  test('a redirect away from http(s) is an error naming where it pointed', async () => {
    const server = await http((_req, res) => {
      res.writeHead(302, { location: 'ftp://files.example.net/' });
      res.end();
    });
    const run = await check('http', server.url);
    expect(run.result.error).toMatch(/redirects to "ftp:\/\/files\.example\.net\/", which is not an http\(s\) URL$/);
  });
});

describe('http: body', () => {
  test('body_contains: present is running, absent is an error naming the text', async () => {
    const server = await http(reply(200, '<html><body>status: all systems go</body></html>', 'text/html'));
    expect((await check('http', server.url, { body_contains: 'all systems go' })).recorded.status).toBe('running');
    const run = await check('http', server.url, { body_contains: 'degraded' });
    expect(run.recorded.status).toBe('error');
    expect(run.result).toMatchObject({ status_code: 200, error: 'response body does not contain "degraded"' });
  });

  test('json_field / json_value: a matching nested field is running, another value an error', async () => {
    const server = await http(reply(200, JSON.stringify({ status: { db: 'ok', replicas: 3, ready: true } }), 'application/json'));
    expect((await check('http', server.url, { json_field: 'status.db', json_value: 'ok' })).recorded.status).toBe('running');
    // Non-string values compare by their string form.
    expect((await check('http', server.url, { json_field: 'status.replicas', json_value: '3' })).recorded.status).toBe('running');
    expect((await check('http', server.url, { json_field: 'status.ready', json_value: 'true' })).recorded.status).toBe('running');

    const run = await check('http', server.url, { json_field: 'status.db', json_value: 'degraded' });
    expect(run.recorded.status).toBe('error');
    expect(run.result).toMatchObject({ status_code: 200, error: 'status.db is "ok", expected "degraded"' });
  });

  test('json_field without json_value: present is running, missing is an error', async () => {
    const server = await http(reply(200, JSON.stringify({ status: { db: 'ok' } }), 'application/json'));
    expect((await check('http', server.url, { json_field: 'status.db' })).recorded.status).toBe('running');
    const run = await check('http', server.url, { json_field: 'status.cache' });
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toBe('status.cache is missing');
    const deeper = await check('http', server.url, { json_field: 'nothing.here.at.all', json_value: 'x' });
    expect(deeper.recorded.status).toBe('error');
    expect(deeper.result.error).toBe('nothing.here.at.all is undefined, expected "x"');
  });

  test('json_field on a body that is not JSON is an error saying so', async () => {
    const server = await http(reply(200, '<html>ok</html>', 'text/html'));
    const run = await check('http', server.url, { json_field: 'status', json_value: 'ok' });
    expect(run.recorded.status).toBe('error');
    expect(run.result).toMatchObject({ status_code: 200, error: 'response body is not JSON' });
  });
});

describe('http: reachability, timeouts, retries', () => {
  test('a refused connection is stopped, naming the refusal', async () => {
    const port = await closedPort();
    const run = await check('http', `http://127.0.0.1:${port}/`);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toBe(`HTTP request to http://127.0.0.1:${port}/ failed: ECONNREFUSED`);
  });

  test('a server that never answers is an error after timeout_sec, saying it timed out', async () => {
    const server = await http(() => {
      /* never answers */
    });
    const started = Date.now();
    const run = await check('http', server.url, { timeout_sec: 1 });
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(server.requests).toHaveLength(1);
  });

  test('a server that sends its headers and then stalls the body is an error after timeout_sec too', async () => {
    const server = await http((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial...');
      /* the body never ends */
    });
    const run = await check('http', server.url, { timeout_sec: 1 });
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
  });

  test('retries: two failures then a success is running after 3 attempts; the server got 3 requests', async () => {
    const server = await http((_req, res, n) => {
      res.writeHead(n <= 2 ? 500 : 200);
      res.end(n <= 2 ? 'not yet' : 'ok');
    });
    const run = await check('http', server.url, { retry_attempts: 2, retry_delay_sec: 0 });
    expect(run.recorded.status).toBe('running');
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 3, http_status: 200 });
    expect(server.requests).toHaveLength(3);
  });

  test('retries: failing every time is an error after retry_attempts + 1 requests, retry_delay_sec apart', async () => {
    const server = await http(reply(500, 'down'));
    const started = Date.now();
    const run = await check('http', server.url, { retry_attempts: 2, retry_delay_sec: 1 });
    expect(run.recorded.status).toBe('error');
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 3, http_status: 500 });
    expect(server.requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });
});

describe('https: certificate expiry', () => {
  /** Makes the process trust `certificate` as a CA, as a host whose CA store holds it would. */
  async function trusting<T>(certificate: string, work: () => Promise<T>): Promise<T> {
    const before = globalAgent.options.ca;
    globalAgent.options.ca = certificate;
    try {
      return await work();
    } finally {
      if (before === undefined) delete globalAgent.options.ca;
      else globalAgent.options.ca = before;
    }
  }

  test('a trusted certificate expiring in 5 days is a warning with tls_days_left', async () => {
    const server = await http(reply(200, 'ok'), { https: { days: 5 } });
    const run = await trusting(server.certificate!, () => check('http', server.url));
    expect(run.recorded.status).toBe('warning');
    expect(run.result).toMatchObject({ status_code: 0, error: 'TLS certificate expires in 4 days' });
    expect(run.result.metrics?.custom).toMatchObject({ http_status: 200, tls_days_left: 4 });
  });

  test('the warning threshold is tls_expiry_warning_days', async () => {
    const server = await http(reply(200, 'ok'), { https: { days: 5 } });
    const run = await trusting(server.certificate!, () => check('http', server.url, { tls_expiry_warning_days: 3 }));
    expect(run.recorded.status).toBe('running');
    expect(run.result.metrics?.custom).toMatchObject({ tls_days_left: 4 });
  });

  test('a trusted certificate valid for a year is running, with tls_days_left', async () => {
    const server = await http(reply(200, 'ok'), { https: { days: 365 } });
    const run = await trusting(server.certificate!, () => check('http', server.url));
    expect(run.recorded.status).toBe('running');
    expect(run.result.metrics?.custom).toMatchObject({ tls_days_left: 364 });
  });

  test('an untrusted self-signed certificate is a failure whose error names the certificate problem', async () => {
    const server = await http(reply(200, 'ok'), { https: { days: 5 } });
    const run = await check('http', server.url);
    expect(run.recorded.status).not.toBe('running');
    expect(['stopped', 'error']).toContain(run.recorded.status);
    expect(run.result.error).toMatch(/self[-_ ]signed|certificate/i);
    // The certificate was read although not trusted, so its expiry is still measured.
    expect(run.result.metrics?.custom).toMatchObject({ tls_days_left: expect.any(Number) });
  });

  test('an untrusted certificate on a server that answers is an error, not "stopped"', async () => {
    // The server is up and completed a TLS handshake; what is wrong is its
    // certificate. 'stopped' tells an operator the process is down (and the
    // recovery it triggers restarts a service that runs); 'error' is what a
    // 500 or a body mismatch gets.
    const server = await http(reply(200, 'ok'), { https: { days: 5 } });
    const run = await check('http', server.url);
    expect(run.recorded.status).toBe('error');
  });
});

describe('tcp', () => {
  test('a listening port is running', async () => {
    const listener = await startTcpListener();
    servers.push(listener);
    const run = await check('tcp', listener.url('tcp'));
    expect(run.recorded.status).toBe('running');
    expect(run.result).toMatchObject({ status_code: 0, error: null });
    expect(listener.accepted).toBe(1);
  });

  test('a closed port is stopped, naming the refusal', async () => {
    const port = await closedPort();
    const run = await check('tcp', `tcp://127.0.0.1:${port}`);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toBe(`TCP connect to 127.0.0.1:${port} failed: ECONNREFUSED`);
  });

  test('a target without a port is unknown (the check cannot run), saying so', async () => {
    const run = await check('tcp', 'tcp://127.0.0.1');
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toBe('no port in tcp://127.0.0.1');
  });
});

describe('scheduled dispatch', () => {
  test('due http and tcp services are checked in one dispatch, each with its own outcome', async () => {
    const up = await http(reply(200, 'ok'));
    const down = await http(reply(502, 'bad gateway'));
    const listener = await startTcpListener();
    servers.push(listener);
    const ids = {
      up: await addService('http', up.url),
      down: await addService('http', down.url),
      tcpUp: await addService('tcp', listener.url('tcp')),
      tcpDown: await addService('tcp', `tcp://127.0.0.1:${await closedPort()}`),
    };
    expect(await harness.engine.dispatchDue()).toBe(4);
    const status = async (id: string) => (await domain.services.require(id)).current_status;
    expect(await status(ids.up)).toBe('running');
    expect(await status(ids.down)).toBe('error');
    expect(await status(ids.tcpUp)).toBe('running');
    expect(await status(ids.tcpDown)).toBe('stopped');
    expect(await MonitoringCheckModel.countDocuments()).toBe(4);
  });
});
