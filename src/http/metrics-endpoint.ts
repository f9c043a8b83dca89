import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** `/metrics` in Prometheus's text format; with a token, only for `Authorization: Bearer <token>` (401 otherwise). */
export async function answerMetrics(registry: Registry, authorization: string | undefined, token: string | null): Promise<{ status: number; contentType: string; body: string; headers?: Record<string, string> }> {
  if (token !== null && !sameSecret(/^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '', token)) {
    return { status: 401, contentType: 'text/plain; charset=utf-8', body: 'Send METRICS_TOKEN as `Authorization: Bearer <token>`.\n', headers: { 'www-authenticate': 'Bearer realm="metrics"' } };
  }
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
}

/** A listener of its own for `/metrics` (METRICS_PORT): for a scrape network apart from the API, and for workers. */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics here.\n');
      return;
    }
    answerMetrics(registry, undefined, null).then(
      ({ status, contentType, body }) => res.writeHead(status, { 'content-type': contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
