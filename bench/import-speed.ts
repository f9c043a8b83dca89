/**
 * Import speed (issue 13 part 1): `targets` config.json targets on `hosts` hosts through the migrate CLI, as an
 * operator runs it (`node dist/src/bin/service-monitor-migrate.js`), into the embedded database a server runs (our
 * mongo-java-server launcher, H2 file, started here as the server starts it; the CLI finds it on EMBEDDED_DB_PORT).
 * With `own` the CLI starts a database of its own each run instead (--own-database: a JVM start and a cold read of
 * the file every time). Prints the wall time of the import, a no-op rerun and a dry run, then `IMPORT_RESULT {...}`.
 * Goals: 60,000 on 6,000 in < 60 s, rerun < 20 s, dry run < 15 s.
 *
 *   npm run bench:import -- [targets=60000] [hosts=6000] [server|own]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { freePort, startLocalServer } from '../src/db/local-server.js';

const [targets = 60_000, hosts = 6_000] = process.argv.slice(2, 4).map(Number);
const own = process.argv[4] === 'own';
const dir = mkdtempSync(join(tmpdir(), 'import-bench-'));
const file = join(dir, 'config.json');
const units = ['nginx', 'mysql', 'redis-server', 'postgresql', 'docker', 'sshd', 'cron', 'rsyslog', 'chronyd', 'node-exporter'];
writeFileSync(
  file,
  JSON.stringify({
    targets: Array.from({ length: targets }, (_, i) => {
      const host = i % hosts;
      const unit = `${units[Math.floor(i / hosts) % units.length]}-${Math.floor(i / hosts / units.length)}`;
      return { name: `node-${host}`, host: `10.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}`, ssh: { user: 'monitor' }, service: `${unit}.service`, interval_sec: 60, recover_on_down: i % 3 === 0 };
    }),
  }),
);
const cli = join(import.meta.dirname, '..', 'src', 'bin', 'service-monitor-migrate.js');
const port = await freePort();
const server = own ? null : await startLocalServer('mongo-java-server', { port, dataDir: join(dir, 'data') });
const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(dir, 'data'), EMBEDDED_DB: 'mongo-java-server', EMBEDDED_DB_PORT: String(port), LOG_LEVEL: 'warn' };
for (const key of Object.keys(env)) if (key.startsWith('MONGODB_')) delete env[key];

function run(label: string, extra: string[]): { seconds: number; code: number | null; summary: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, file, '--environment', 'production', '--region', 'eu-west', ...(own ? ['--own-database'] : []), ...extra], { env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const summary = result.stdout.split('\n').filter((line) => /hosts|services|rejected/i.test(line)).slice(0, 3).join(' | ');
  console.log(`${label}: ${seconds} s (exit ${result.status}) ${summary}`);
  for (const line of result.stderr.split('\n').filter((l) => /, done|writing to|reading/.test(l))) console.log(`  ${line}`);
  if (result.status !== 0) console.log(result.stderr.slice(-2000));
  return { seconds, code: result.status, summary };
}

try {
  console.log(`${targets} targets on ${hosts} hosts, ${own ? "the CLI's own embedded database each run" : "a server's embedded database"}; ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  const first = run('import', []);
  const rerun = run('rerun (no-op)', []);
  const dry = run('dry run', ['--dry-run']);
  console.log(`IMPORT_RESULT ${JSON.stringify({ targets, hosts, database: own ? 'own' : 'server', import_s: first.seconds, rerun_s: rerun.seconds, dry_run_s: dry.seconds })}`);
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
