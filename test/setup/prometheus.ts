/**
 * Debian's Prometheus, started per test on a loopback port (the system service stays off): it scrapes the given
 * targets every second, and `query` asks it PromQL over its HTTP API.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/db/local-server.js';
import { run, type RunningServer } from './alerting-servers.js';

export const PROMETHEUS = '/usr/bin/prometheus';

export interface ScrapeJob {
  name: string;
  target: string;
  bearerToken?: string;
}

export interface RunningPrometheus extends RunningServer {
  /** An instant query's result vector: each series' labels and value. */
  query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]>;
}

export async function startPrometheus(jobs: ScrapeJob[]): Promise<RunningPrometheus> {
  if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: run \`bash tools/metrics/install.sh\` (installs Debian's prometheus)`);
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  const scrapeConfigs = jobs
    .map(
      (job) =>
        `  - job_name: ${job.name}\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n` +
        (job.bearerToken ? `    authorization:\n      type: Bearer\n      credentials: ${job.bearerToken}\n` : '') +
        `    static_configs:\n      - targets: ['${job.target}']\n`,
    )
    .join('');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${scrapeConfigs}`);
  const server = await run(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    dir,
    `http://127.0.0.1:${port}`,
    '/-/ready',
  );
  return {
    ...server,
    async query(promql) {
      const response = await fetch(`${server.api}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error}`);
      return body.data!.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
  };
}
