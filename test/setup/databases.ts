/**
 * Real servers for the http, tcp and database checker tests, each on 127.0.0.1
 * and a free port, in a temp dir of its own that stop() removes:
 *
 *   startRedis()       Debian's redis-server, no persistence
 *   startPostgres()    PostgreSQL (initdb + postgres), trust auth, superuser `monitor`
 *   startMariaDb()     MariaDB (mariadb-install-db + mariadbd), user `monitor` without password
 *   startHttpServer()  node:http (or node:https with a short-lived self-signed certificate)
 *   startTcpListener() accepts connections and never writes a byte
 *   closedPort()       a port nothing listens on
 *
 * Install the servers with `bash tools/databases/install.sh`. PostgreSQL and
 * MariaDB refuse to run as root: as root, they run as the `postgres` and
 * `mysql` OS users (spawn's uid/gid, which also drops root's groups), in temp
 * dirs owned by those users; as anyone else, as that user.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/db/local-server.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RunningDatabase {
  /** Connection URL a checker target can use as is. */
  url: string;
  port: number;
  /** Milliseconds from spawn (after initdb/install-db) to a served query. */
  startupMs: number;
  /** Milliseconds of initdb / mariadb-install-db; 0 for redis. */
  initMs: number;
  /** Server log so far, for failure messages. */
  logs(): string;
  /** Stop the server, wait for it to exit, remove its dir. Idempotent. */
  stop(): Promise<void>;
}

export const REDIS_SERVER = '/usr/bin/redis-server';
export const MARIADBD = '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db';

const INSTALL_HINT = 'run `bash tools/databases/install.sh` (installs Debian redis-server, postgresql and mariadb-server)';

/** A loopback port with nothing listening: connecting is refused. */
export const closedPort = freePort;

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error(`PostgreSQL server binaries not found under ${root}: ${INSTALL_HINT}`);
  return join(root, versions[0]!, 'bin');
}

interface OsUser {
  uid: number;
  gid: number;
  name: string;
}

/** The OS user a server that refuses root runs as: `name` when we are root, else ourselves. */
async function serverUser(name: string): Promise<OsUser | null> {
  if (process.getuid?.() !== 0) return null;
  const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', name]), execFileAsync('id', ['-g', name])]).catch(() => {
    throw new Error(`OS user ${name} not found (the Debian package creates it): ${INSTALL_HINT}`);
  });
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name };
}

function asUser(user: OsUser | null): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/** Runs a program to completion (as `user`), failing with its output. */
function run(file: string, args: string[], user: OsUser | null, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...asUser(user), env, cwd: '/', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** Makes a temp dir that `user` owns (so a server dropping root can write it). */
async function tempDirFor(prefix: string, user: OsUser | null): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

interface Spawned {
  child: ChildProcess;
  exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined;
  output: () => string;
  waitExit: (timeoutMs: number) => Promise<boolean>;
}

function spawnServer(file: string, args: string[], user: OsUser | null, env: NodeJS.ProcessEnv): Spawned {
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const child = spawn(file, args, { ...asUser(user), env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.on('error', (error) => {
      output += `spawn error: ${error.message}\n`;
      exited = { code: -1, signal: null };
      resolve();
    });
  });
  // A test run that dies must not leave servers behind.
  const onExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  void exit.then(() => process.off('exit', onExit));
  return {
    child,
    exited: () => exited,
    output: () => output,
    waitExit: (timeoutMs) => Promise.race([exit.then(() => true), sleep(timeoutMs).then(() => false)]),
  };
}

/** Polls `probe` until it succeeds, the server exits, or the time is up. */
async function waitUntilServing(name: string, server: Spawned, probe: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const exited = server.exited();
    if (exited) throw new Error(`${name} exited during startup (code ${exited.code}, signal ${exited.signal})\n--- output ---\n${server.output().trim()}`);
    try {
      await probe();
      return;
    } catch (error) {
      last = error;
    }
    await sleep(25);
  }
  throw new Error(`${name} did not serve within ${timeoutMs} ms: ${(last as Error)?.message}\n--- output ---\n${server.output().trim()}`);
}

function stopper(server: Spawned, signal: NodeJS.Signals, dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      if (!server.exited()) {
        server.child.kill(signal);
        if (!(await server.waitExit(10_000))) {
          server.child.kill('SIGKILL');
          await server.waitExit(5_000);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    })());
}

const ADDRESS_IN_USE = /Address already in use|could not bind|Can't start server: Bind on TCP\/IP port|Could not create server TCP listening socket/i;

/** Starts a server on a fresh free port; retried when another process took the port first. */
async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= 3 || !ADDRESS_IN_USE.test((error as Error).message)) throw error;
    }
  }
}

// ---------------------------------------------------------------------------
// Redis

/** redis-server on 127.0.0.1 and a free port; no RDB, no AOF; its dir is a temp dir. */
export async function startRedis(options: { startTimeoutMs?: number } = {}): Promise<RunningDatabase> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} not found: ${INSTALL_HINT}`);
  const { Redis } = await import('ioredis');
  const dir = await tempDirFor('redis-fixture-', null);
  try {
    return await onFreePort(async (port) => {
      const started = Date.now();
      const server = spawnServer(
        REDIS_SERVER,
        ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', '', '--unixsocket', '', '--databases', '1'],
        null,
        { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
      );
      const stop = stopper(server, 'SIGTERM', dir);
      try {
        await waitUntilServing(
          'redis-server',
          server,
          async () => {
            const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
            client.on('error', () => {});
            try {
              await client.connect();
              if ((await client.ping()) !== 'PONG') throw new Error('no PONG');
            } finally {
              client.disconnect();
            }
          },
          options.startTimeoutMs ?? 15_000,
        );
      } catch (error) {
        if (!server.exited()) server.child.kill('SIGKILL');
        await server.waitExit(5_000);
        throw error;
      }
      return { url: `redis://127.0.0.1:${port}`, port, startupMs: Date.now() - started, initMs: 0, logs: server.output, stop };
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------
// PostgreSQL

/**
 * A PostgreSQL cluster made by initdb in a temp dir: superuser `monitor`, trust
 * authentication, TCP on 127.0.0.1 only, its unix socket in the temp dir, no
 * fsync. url: postgresql://monitor@127.0.0.1:PORT/postgres.
 */
export async function startPostgres(options: { startTimeoutMs?: number } = {}): Promise<RunningDatabase> {
  const bin = postgresBinDir();
  const user = await serverUser('postgres');
  const pg = (await import('pg')).default;
  const dir = await tempDirFor('postgres-fixture-', user);
  const data = join(dir, 'data');
  const env = { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, LANG: 'C', LC_ALL: 'C', HOME: dir, PGTZ: 'UTC' };
  try {
    const initStarted = Date.now();
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'monitor', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], user, env);
    const initMs = Date.now() - initStarted;
    return await onFreePort(async (port) => {
      const started = Date.now();
      const server = spawnServer(
        join(bin, 'postgres'),
        [
          '-D', data,
          '-h', '127.0.0.1',
          '-p', String(port),
          '-k', dir,
          '-c', 'fsync=off',
          '-c', 'synchronous_commit=off',
          '-c', 'full_page_writes=off',
          '-c', 'max_connections=50',
          '-c', 'shared_buffers=16MB',
          '-c', 'logging_collector=off',
          '-c', 'log_min_messages=warning',
        ],
        user,
        env,
      );
      // SIGINT: "fast" shutdown (what pg_ctl stop -m fast sends).
      const stop = stopper(server, 'SIGINT', dir);
      const url = `postgresql://monitor@127.0.0.1:${port}/postgres`;
      try {
        await waitUntilServing(
          'postgres',
          server,
          async () => {
            const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
            client.on('error', () => {});
            try {
              await client.connect();
              await client.query('SELECT 1');
            } finally {
              await client.end().catch(() => {});
            }
          },
          options.startTimeoutMs ?? 30_000,
        );
      } catch (error) {
        if (!server.exited()) server.child.kill('SIGKILL');
        await server.waitExit(5_000);
        rmSync(join(data, 'postmaster.pid'), { force: true });
        throw error;
      }
      return { url, port, startupMs: Date.now() - started, initMs, logs: server.output, stop };
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------
// MariaDB (the MySQL protocol)

/**
 * A MariaDB server made by mariadb-install-db in a temp dir: TCP on 127.0.0.1
 * only, its socket in the temp dir, no binlog. An init file creates
 * `monitor`@`127.0.0.1` without a password. url: mysql://monitor@127.0.0.1:PORT/.
 */
export async function startMariaDb(options: { startTimeoutMs?: number } = {}): Promise<RunningDatabase> {
  if (!existsSync(MARIADBD) || !existsSync(MARIADB_INSTALL_DB)) throw new Error(`${MARIADBD} not found: ${INSTALL_HINT}`);
  const user = await serverUser('mysql');
  const mysql = (await import('mysql2/promise')).default;
  const dir = await tempDirFor('mariadb-fixture-', user);
  const data = join(dir, 'data');
  const initFile = join(dir, 'init.sql');
  writeFileSync(initFile, "CREATE USER IF NOT EXISTS 'monitor'@'127.0.0.1';\nGRANT USAGE ON *.* TO 'monitor'@'127.0.0.1';\n");
  if (user) chownSync(initFile, user.uid, user.gid);
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: dir };
  try {
    const initStarted = Date.now();
    mkdirSync(data);
    if (user) chownSync(data, user.uid, user.gid);
    await run(
      MARIADB_INSTALL_DB,
      ['--no-defaults', `--datadir=${data}`, '--basedir=/usr', '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M'],
      user,
      env,
    );
    const initMs = Date.now() - initStarted;
    return await onFreePort(async (port) => {
      const started = Date.now();
      const server = spawnServer(
        MARIADBD,
        [
          '--no-defaults',
          `--datadir=${data}`,
          `--socket=${join(dir, 'mysqld.sock')}`,
          `--pid-file=${join(dir, 'mysqld.pid')}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          '--skip-name-resolve',
          '--skip-log-bin',
          '--innodb-buffer-pool-size=16M',
          '--innodb-log-file-size=8M',
          '--innodb-flush-log-at-trx-commit=0',
          '--skip-innodb-use-native-aio',
          `--init-file=${initFile}`,
          '--log-error=',
        ],
        user,
        env,
      );
      const stop = stopper(server, 'SIGTERM', dir);
      const url = `mysql://monitor@127.0.0.1:${port}/`;
      try {
        await waitUntilServing(
          'mariadbd',
          server,
          async () => {
            const connection = await mysql.createConnection({ uri: url, connectTimeout: 1_000 });
            try {
              await connection.ping();
            } finally {
              await connection.end().catch(() => {});
            }
          },
          options.startTimeoutMs ?? 30_000,
        );
      } catch (error) {
        if (!server.exited()) server.child.kill('SIGKILL');
        await server.waitExit(5_000);
        throw error;
      }
      return { url, port, startupMs: Date.now() - started, initMs, logs: server.output, stop };
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------
// HTTP(S) and raw TCP

export interface TestHttpServer {
  /** http://127.0.0.1:PORT or https://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Requests received so far. */
  requests: IncomingMessage[];
  /** PEM of the server certificate (HTTPS only): a test may trust it as a CA. */
  certificate: string | null;
  stop(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, requestNumber: number) => void;

export interface HttpsOptions {
  /** Certificate validity in days (openssl req -days). */
  days: number;
}

/**
 * A node:http server on 127.0.0.1 and a free port calling `handler` for each
 * request (numbered from 1). With `https`, a node:https server whose
 * certificate is self-signed by openssl (CN=localhost, SAN IP:127.0.0.1 and
 * DNS:localhost) and valid for `https.days` days from now.
 */
export async function startHttpServer(handler: HttpHandler, options: { https?: HttpsOptions } = {}): Promise<TestHttpServer> {
  const requests: IncomingMessage[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(req);
    handler(req, res, requests.length);
  };
  let server: HttpServer;
  let certificate: string | null = null;
  if (options.https) {
    const { key, cert } = await selfSignedCertificate(options.https.days);
    certificate = cert;
    server = createHttpsServer({ key, cert }, listener);
  } else {
    server = createHttpServer(listener);
  }
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let stopping: Promise<void> | undefined;
  return {
    url: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    certificate,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** A self-signed certificate and key made by openssl, valid for `days` days from now. */
export async function selfSignedCertificate(days: number): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tls-fixture-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await execFileAsync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
      '-days', String(days),
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', key,
      '-out', cert,
    ]);
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestTcpListener {
  url: (scheme: string) => string;
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections still open. */
  open: number;
  /** Bytes received from clients so far (what a client's handshake sent). */
  received: Buffer;
  stop(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that accepts connections, reads, and never writes a byte nor closes. */
export async function startTcpListener(): Promise<TestTcpListener> {
  const sockets = new Set<Socket>();
  const chunks: Buffer[] = [];
  let accepted = 0;
  const server = createNetServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    get received() {
      return Buffer.concat(chunks);
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}
