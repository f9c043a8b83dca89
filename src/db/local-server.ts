import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './paths.js';

export type LocalServerKind = 'mongo-java-server' | 'ferretdb';

export interface RunningServer {
  readonly uri: string;
  readonly pid: number;
  /** Called once if the server exits on its own (crashed, killed), not when stop() ends it. */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  stop(): Promise<void>;
}

export interface LocalServerOptions {
  /** Keep data in this folder between runs; omitted means in memory (mongo-java-server) or a throwaway folder. */
  dataDir?: string;
  port?: number;
  startTimeoutMs?: number;
  /** mongo-java-server serves change streams only with its oplog on, which grows without bound: tests only. */
  changeStreams?: boolean;
}

interface Recipe {
  artifact: string;
  /** Has no in-memory mode: without a data folder it gets a throwaway one. */
  needsDataDir: boolean;
  build: string;
  command(artifact: string, port: number, dataDir: string | undefined, changeStreams: boolean): { file: string; args: string[] };
  ready: RegExp;
}

/** How each MongoDB-compatible server under tools/ is built and started; each prints one line when it accepts connections. */
const recipes: Record<LocalServerKind, Recipe> = {
  'mongo-java-server': {
    artifact: 'tools/mongo-java-server/target/mongo-java-server-launcher.jar',
    build: 'tools/mongo-java-server/build.sh',
    needsDataDir: false,
    command: (jar, port, dataDir, changeStreams) => ({
      file: 'java',
      // G1 with a 20 ms pause goal instead of its 200 ms default: it then keeps the young generation small enough
      // that a collection no longer stalls every query in flight for 30-80 ms (measured on the soak benchmark). The
      // old generation's clean-up after each marking (~every 9 minutes) is spread over three times as many pauses
      // and stops earlier (15% of the heap may stay garbage): its pauses went from 80-125 ms to 35-46 ms. ZGC was
      // tried and lost: its concurrent cycles took the CPU the queries needed on 2 cores (p50s doubled in 20 min).
      args: ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:G1MixedGCCountTarget=24', '-XX:G1HeapWastePercent=15', '-jar', jar, '--port', String(port), '--exit-with-stdin', ...(changeStreams ? ['--oplog'] : []), ...(dataDir ? ['--data', dataDir] : [])],
    }),
    ready: /^ready on /,
  },
  ferretdb: {
    artifact: 'tools/ferretdb/bin/ferretdb',
    build: 'tools/ferretdb/build.sh',
    needsDataDir: true,
    command: (binary, port, dataDir) => ({
      file: binary,
      args: ['-listen', `127.0.0.1:${port}`, '-data', dataDir!],
    }),
    ready: /ferretdb ready/,
  },
};

/** Builds the server's artifact when missing (first run after a fresh clone without `npm run setup`). */
export function ensureBuilt(kind: LocalServerKind): string {
  const root = projectRoot();
  const recipe = recipes[kind];
  const artifact = join(root, recipe.artifact);
  if (existsSync(artifact)) return artifact;
  const build = spawnSync('bash', [join(root, recipe.build)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0 || !existsSync(artifact)) throw new Error(`building ${kind} failed (bash ${recipe.build} exited ${build.status})`);
  return artifact;
}

export async function startLocalServer(kind: LocalServerKind, options: LocalServerOptions = {}): Promise<RunningServer> {
  const recipe = recipes[kind];
  const artifact = ensureBuilt(kind);
  const port = options.port ?? (await freePort());
  const scratch = !options.dataDir && recipe.needsDataDir ? mkdtempSync(join(tmpdir(), `${kind}-`)) : undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : scratch;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const { file, args } = recipe.command(artifact, port, dataDir, options.changeStreams ?? false);
  // stdin stays open as a lifeline: the server exits when this process dies and the pipe closes.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const removeScratch = () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  await waitForReady(child, recipe.ready, kind, options.startTimeoutMs ?? 60_000).catch((error) => {
    removeScratch();
    throw error;
  });
  let stopping = false;
  const exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  child.once('exit', (code, signal) => {
    if (!stopping) for (const listener of exitListeners) listener(code, signal);
  });
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    pid: child.pid!,
    onUnexpectedExit: (listener) => void exitListeners.push(listener),
    stop: () => {
      stopping = true;
      return stopProcess(child).then(removeScratch);
    },
  };
}

function waitForReady(child: ChildProcess, ready: RegExp, kind: string, timeoutMs: number): Promise<void> {
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start: ${why}${stderr.length ? `\n${stderr.join('').slice(-2000)}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!ready.test(line)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      resolvePromise();
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

/** A port the OS just handed out; free again by the time the server binds it, barring a race nobody here runs. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}
