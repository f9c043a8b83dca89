import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfig, settings } from '../../src/config/config.js';

/**
 * No Docker engine runs here, so the Dockerfile and docker-compose.yml are checked as files: hadolint
 * on the Dockerfile, the Compose Specification schema on the compose file, and the claims the README
 * makes about both (healthcheck, restart policies, one image, no mongod download, explicit settings).
 */

const root = new URL('../../', import.meta.url);
const pathOf = (file: string): string => new URL(file, root).pathname;
const read = (file: string): string => readFileSync(pathOf(file), 'utf8');
const run = promisify(execFile);

// ---- Dockerfile ---------------------------------------------------------------------------------

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Instructions grouped by stage; continuation lines joined and comments dropped, as Docker reads them. */
function parseDockerfile(text: string): Stage[] {
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i].trim();
    if (logical === '' || logical.startsWith('#')) continue;
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      logical = logical.slice(0, -1);
      const next = lines[++i].trim();
      if (!next.startsWith('#')) logical += ' ' + next;
    }
    const [, keyword, args] = /^(\S+)\s*(.*)$/s.exec(logical)!;
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim(), line: start };
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      expect(stages, `${instruction.keyword} before any FROM (line ${start})`).not.toHaveLength(0);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The variables a stage's ENV instructions set (both `K=V ...` and the old `K V` form). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!/^\S+=/.test(args)) {
      const [key, ...value] = args.split(/\s+/);
      env[key] = value.join(' ');
      continue;
    }
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf('=');
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** HEALTHCHECK's options and its exec-form command. */
function healthcheckOf(stage: Stage): { options: Record<string, string>; command: string[] } {
  const healthchecks = stage.instructions.filter((i) => i.keyword === 'HEALTHCHECK');
  expect(healthchecks, 'one HEALTHCHECK in the image that runs').toHaveLength(1);
  const match = /^((?:--\S+\s+)*)CMD\s+(\[.*\])$/s.exec(healthchecks[0].args);
  expect(match, 'HEALTHCHECK [OPTIONS] CMD ["exec", "form"]').not.toBeNull();
  const options = Object.fromEntries(
    match![1]
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((option) => option.replace(/^--/, '').split('=') as [string, string]),
  );
  return { options, command: JSON.parse(match![2]) as string[] };
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const buildStage = dockerfile[0];
const imageStage = dockerfile.at(-1)!;

/** A tiny /healthz to point the image's healthcheck command at. */
async function withHealthServer<T>(status: number, body: (port: number, paths: string[]) => Promise<T>): Promise<T> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await body((server.address() as AddressInfo).port, paths);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Runs the HEALTHCHECK command as Docker would inside the image (node there, node here); its exit code. */
async function runHealthcheck(env: Record<string, string>): Promise<number> {
  const [program, ...args] = healthcheckOf(imageStage).command;
  expect(program, 'the image has no curl or wget: node runs the check').toBe('node');
  try {
    await run(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe('Dockerfile', () => {
  test('both stages build on the same pinned Node 20 Debian slim image', () => {
    expect(dockerfile.map((stage) => stage.from)).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
  });

  test('the image runs as the unprivileged node user, by number (Kubernetes runAsNonRoot needs one)', () => {
    const users = imageStage.instructions.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toBe('1000:1000');
    // Everything the process runs comes after the switch.
    const last = imageStage.instructions.at(-1)!;
    expect(last.line).toBeGreaterThan(users.at(-1)!.line);
  });

  test('the default command is the API process; the worker entry point the compose file uses exists', () => {
    const cmd = imageStage.instructions.filter((i) => i.keyword === 'CMD');
    expect(cmd.map((i) => JSON.parse(i.args))).toEqual([['node', 'dist/src/main.js']]);
    expect(existsSync(pathOf('src/main.ts'))).toBe(true);
    expect(existsSync(pathOf('src/worker.ts'))).toBe(true);
  });

  test('HEALTHCHECK asks /healthz on $PORT with node and bounded timings', async () => {
    const { options, command } = healthcheckOf(imageStage);
    expect(command.join(' ')).toContain('/healthz');
    expect(Object.keys(options).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
    expect(Number(options.retries)).toBeGreaterThan(0);

    const asked = await withHealthServer(200, async (port, paths) => {
      expect(await runHealthcheck({ PORT: String(port) })).toBe(0);
      return paths;
    });
    expect(asked).toEqual(['/healthz']);
  });

  test('HEALTHCHECK fails on an error status and when nothing listens', async () => {
    await withHealthServer(500, async (port) => {
      expect(await runHealthcheck({ PORT: String(port) })).toBe(1);
    });
    const closed = await withHealthServer(200, async (port) => port);
    expect(await runHealthcheck({ PORT: String(closed) })).toBe(1);
  });

  test('npm ci runs with the mongodb-memory-server postinstall download turned off', () => {
    const env = buildStage.instructions.find((i) => i.keyword === 'ENV' && i.args.includes('MONGOMS_DISABLE_POSTINSTALL'));
    const npmCi = buildStage.instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(env, 'ENV MONGOMS_DISABLE_POSTINSTALL in the build stage').toBeDefined();
    expect(npmCi).toBeDefined();
    expect(env!.line).toBeLessThan(npmCi!.line);
    expect(imageStage.instructions.some((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args))).toBe(false);
  });

  test("mongodb-memory-server's own postinstall skips the download with the build stage's environment", async () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...envOf(buildStage) };
    // Should the variable ever stop working, fail at once instead of fetching mongod.
    env.MONGOMS_DOWNLOAD_URL = 'http://127.0.0.1:9/mongod.tgz';
    const { stdout } = await run(process.execPath, [pathOf('node_modules/mongodb-memory-server/postinstall.js')], { env, timeout: 30_000 });
    expect(stdout).toContain('postinstall skipped because "DISABLE_POSTINSTALL" was set');
  });

  test('the image never fetches mongod at run time either', () => {
    expect(envOf(imageStage)).toMatchObject({ NODE_ENV: 'production', MONGOMS_RUNTIME_DOWNLOAD: 'false' });
  });
});

// ---- hadolint -----------------------------------------------------------------------------------

const HADOLINT = pathOf('tools/container-lint/.venv/bin/hadolint');
const HADOLINT_CONFIG = pathOf('tools/container-lint/hadolint.yaml');
const INSTALL_HINT = 'run `bash tools/container-lint/install.sh` (npm run setup does)';

interface Finding {
  code: string;
  level: string;
  line: number;
  message: string;
}

/** hadolint's findings on a Dockerfile given as text (read from stdin, so a broken one needs no file). */
async function hadolint(dockerfileText: string): Promise<Finding[]> {
  const child = execFile(HADOLINT, ['--config', HADOLINT_CONFIG, '--format', 'json', '--no-color', '-']);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.end(dockerfileText);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const findings = JSON.parse(stdout || '[]') as Finding[];
  // Exit 1 means "findings at or above the threshold"; anything else is hadolint itself failing.
  expect({ code, stderr }).toEqual({ code: findings.length > 0 ? 1 : 0, stderr: '' });
  return findings;
}

/** Skips (with the reason) where hadolint is missing; in CI a missing hadolint is a failure, never a skip. */
function needHadolint(context: { skip: (condition: boolean, note?: string) => void }): void {
  if (existsSync(HADOLINT)) return;
  if (process.env.CI) throw new Error(`${HADOLINT} not found: ${INSTALL_HINT}`);
  const reason = `hadolint not installed, so the Dockerfile is not linted: ${INSTALL_HINT}`;
  // The default reporter does not show skip notes: say it where a developer sees it.
  console.warn(`skipped: ${reason}`);
  context.skip(true, reason);
}

describe('hadolint', () => {
  test('finds nothing in our Dockerfile, down to "info"', async (context) => {
    needHadolint(context);
    const findings = await hadolint(read('Dockerfile'));
    expect(findings.map((f) => `line ${f.line}: ${f.code} ${f.level}: ${f.message}`)).toEqual([]);
  });

  test('does flag a Dockerfile that breaks the rules (so a clean result means something)', async (context) => {
    needHadolint(context);
    const broken = [
      'FROM node:latest',
      'RUN apt-get update && apt-get install -y curl',
      'FROM ghcr.io/example/node:20',
      'USER root',
      'CMD node dist/src/main.js',
    ].join('\n');
    const codes = (await hadolint(broken)).map((f) => f.code);
    // latest tag, unpinned apt package, registry not trusted, root user, shell-form CMD.
    expect(codes).toEqual(expect.arrayContaining(['DL3007', 'DL3008', 'DL3026', 'DL3002', 'DL3025']));
  });
});

// ---- .dockerignore ------------------------------------------------------------------------------

/** Whether the build context keeps `path`: the last matching pattern wins; a matched directory covers its contents. */
function inContext(ignore: string, path: string): boolean {
  const patterns = ignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const glob = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*|\?/g, (m) => (m === '**' ? '.*' : m === '*' ? '[^/]*' : '[^/]'));
      return { negated, regex: new RegExp(`^${source}(/.*)?$`) };
    });
  let kept = true;
  for (const { negated, regex } of patterns) if (regex.test(path)) kept = negated;
  return kept;
}

describe('.dockerignore', () => {
  const ignore = read('.dockerignore');

  test('lets in every file the Dockerfile copies from the context', () => {
    const sources = dockerfile
      .flatMap((stage) => stage.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1));
    expect(sources).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']);
    for (const source of [...sources, 'src/main.ts', 'src/config/config.ts']) expect(inContext(ignore, source), source).toBe(true);
  });

  test('keeps local builds, dependencies, secrets and data out of the context', () => {
    for (const path of ['node_modules', 'dist/src/main.js', '.env', '.git/HEAD', '.data/mongod', 'test/unit/config.test.ts', '.venv-seed/bin/python']) {
      expect(inContext(ignore, path), path).toBe(false);
    }
  });
});

// ---- docker-compose.yml -------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[];
  restart?: string;
  stop_grace_period?: string;
  environment?: Record<string, string>;
  healthcheck?: { disable?: boolean; test?: unknown; interval?: string; timeout?: string };
  [key: string]: unknown;
}

const composeText = read('docker-compose.yml');
// Compose reads YAML 1.1 merge keys (`<<: *anchor`); the yaml package needs to be told to.
const composeDocument = parseDocument(composeText, { merge: true });
const compose = composeDocument.toJS({ maxAliasCount: 100 }) as { services: Record<string, ComposeService> } & Record<string, Json>;
const { app, worker } = compose.services;

/** Compose's schema, compiled the way docker compose does (santhosh-tekuri/jsonschema: draft 2020-12, not strict). */
function composeValidator() {
  const schema = JSON.parse(read('tools/container-lint/compose-spec.json')) as object;
  // The schema is upstream's, unchanged: ajv's strict mode objects to its style (keywords without "type"), not to our file.
  return new Ajv2020({ allErrors: true, strict: false }).compile(schema);
}

/** Go's time.ParseDuration syntax, which compose uses for every duration. */
const GO_DURATION = /^(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+)$/;

function seconds(duration: string): number {
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  return [...duration.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

describe('docker-compose.yml', () => {
  test('is clean YAML', () => {
    expect(composeDocument.errors.map(String)).toEqual([]);
    expect(composeDocument.warnings.map(String)).toEqual([]);
  });

  test('is valid against the Compose Specification schema', () => {
    const validate = composeValidator();
    validate(compose);
    expect(validate.errors ?? []).toEqual([]);
  });

  test('the schema does reject a broken compose file (so a clean result means something)', () => {
    const validate = composeValidator();
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.app.restart = 42;
    broken.services.app.restart_policy = 'always';
    broken.services.worker.healthcheck = { disable: true, interval: 30 };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/services/app/restart must be string',
        '/services/app must NOT have unevaluated properties',
        '/services/worker/healthcheck/interval must be string',
      ]),
    );
  });

  test('has no stray $ (compose would interpolate it)', () => {
    expect(composeText.replaceAll('$$', '')).not.toMatch(/\$/);
  });

  test('every duration is one docker compose can parse', () => {
    const durations: string[] = [];
    for (const service of Object.values(compose.services)) {
      if (service.stop_grace_period) durations.push(service.stop_grace_period);
      for (const key of ['interval', 'timeout', 'start_period'] as const) {
        const value = (service.healthcheck as Record<string, unknown> | undefined)?.[key];
        if (typeof value === 'string') durations.push(value);
      }
    }
    expect(durations.length).toBeGreaterThan(0);
    for (const duration of durations) expect(duration).toMatch(GO_DURATION);
  });

  test('API and worker run one image, built once from ./Dockerfile', () => {
    expect(app.image).toBeTruthy();
    expect(worker.image).toBe(app.image);
    expect(app.build).toBe('.');
    // The worker builds nothing of its own: compose skips pulling an image another service builds.
    expect(worker.build).toBeUndefined();
    expect(worker.command).toEqual(['node', 'dist/src/worker.js']);
    expect(app.command).toBeUndefined();
  });

  test('every service restarts on its own, and the app processes get time to drain on stop', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect([name, service.restart]).toEqual([name, expect.stringMatching(/^(always|unless-stopped|on-failure(:\d+)?)$/)]);
    }
    // main.ts lets checks under way drain for max(SHUTDOWN_TIMEOUT_MS, a 10 s dispatch slice + 5 s).
    const drainSeconds = Math.max(Number(settings.shutdownTimeoutMs.default) / 1000, 15);
    for (const service of [app, worker]) expect(seconds(service.stop_grace_period ?? '10s')).toBeGreaterThan(drainSeconds);
  });

  test("the app keeps the image's /healthz check; the worker, which serves no HTTP, turns it off explicitly", () => {
    expect(app.healthcheck).toBeUndefined();
    expect(worker.healthcheck).toEqual({ disable: true });
  });

  test('both processes get a real database (the image has no embedded one) and Redis', () => {
    for (const service of [app, worker]) {
      expect(service.environment?.MONGODB_URI).toMatch(/^mongodb:\/\/mongo:27017\//);
      expect(service.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(service.depends_on).toEqual({ mongo: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    }
  });

  test('introspection and the IDE are set explicitly, with a comment, and mean what they say', () => {
    expect(app.environment).toMatchObject({ GRAPHQL_INTROSPECTION: 'true', GRAPHQL_IDE: 'true' });
    const config = loadConfig({ HOME: '/home/node', ...app.environment });
    expect({ introspection: config.graphqlIntrospection, ide: config.graphqlIde }).toEqual({ introspection: true, ide: true });
    const lines = composeText.split('\n');
    const at = lines.findIndex((line) => line.trim().startsWith('GRAPHQL_INTROSPECTION:'));
    expect(lines[at - 1].trim()).toMatch(/^#/);
  });

  test('every environment variable given to the app processes is one of our settings', () => {
    const known = new Set(Object.values(settings).map((setting) => setting.env));
    for (const service of [app, worker]) {
      for (const name of Object.keys(service.environment ?? {})) expect(known, name).toContain(name);
      expect(() => loadConfig({ HOME: '/home/node', ...service.environment })).not.toThrow();
    }
  });
});
