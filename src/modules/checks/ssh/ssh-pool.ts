import { Client, type ClientChannel } from 'ssh2';
import { abortable } from '../checker.js';
import type { HostKeyPolicy } from './host-keys.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string | Buffer;
  /** Pinned `SHA256:...`; null: the known_hosts file decides. */
  hostKeyFingerprint: string | null;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface SshPoolOptions {
  hostKeys: HostKeyPolicy;
  connectTimeoutMs: number;
  /** OpenSSH allows 10 sessions per connection by default; stay under it. */
  maxChannelsPerConnection: number;
  /** First reconnect delay after a failure; doubles per failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** The check could not reach the host. `transient`: another attempt may connect (refused, reset, timed out, cut). */
export class SshConnectError extends Error {
  constructor(
    message: string,
    readonly transient = true,
  ) {
    super(message);
  }
}
/** An answer, not an accident: retrying gets the same key. */
export class HostKeyRejectedError extends SshConnectError {
  constructor(message: string) {
    super(message, false);
  }
}
/** The host refused our credentials: as definitive as a wrong key. */
export class SshAuthRejectedError extends SshConnectError {
  constructor(message: string) {
    super(message, false);
  }
}

const MAX_OUTPUT = 64 * 1024;

interface Connection {
  client: Client;
  ready: Promise<Client>;
  channels: number;
  waiting: (() => void)[];
  closed: boolean;
}

interface Backoff {
  failures: number;
  retryAt: number;
  reason: string;
  transient: boolean;
}

/**
 * One SSH connection per host (user@address:port), reused by every check and
 * recovery on it, with at most `maxChannelsPerConnection` commands at once.
 * A failed connection is retried with exponential backoff; until then callers
 * get the last reason at once instead of piling up handshakes.
 */
export class SshPool {
  private readonly connections = new Map<string, Connection>();
  private readonly backoffs = new Map<string, Backoff>();

  constructor(private readonly options: SshPoolOptions) {}

  async exec(target: SshTarget, command: string, signal: AbortSignal): Promise<ExecResult> {
    // The check's timeout covers connecting too; the handshake itself goes on for the next caller.
    const connection = await abortable(this.connection(target), signal);
    await this.acquire(connection, signal);
    try {
      return await runWithChannelRetry(connection.client, command, signal);
    } finally {
      this.release(connection);
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) {
      connection.closed = true;
      connection.client.end();
    }
    this.connections.clear();
  }

  private key(target: SshTarget): string {
    return `${target.username}@${target.host}:${target.port}`;
  }

  private async connection(target: SshTarget): Promise<Connection> {
    const key = this.key(target);
    const existing = this.connections.get(key);
    if (existing && !existing.closed) {
      await existing.ready;
      return existing;
    }
    const backoff = this.backoffs.get(key);
    if (backoff && Date.now() < backoff.retryAt) {
      throw new SshConnectError(`${backoff.reason} (retrying the connection in ${Math.ceil((backoff.retryAt - Date.now()) / 1000)} s)`, backoff.transient);
    }
    const connection = this.open(key, target);
    this.connections.set(key, connection);
    await connection.ready;
    return connection;
  }

  private open(key: string, target: SshTarget): Connection {
    const client = new Client();
    const connection: Connection = { client, ready: undefined as never, channels: 0, waiting: [], closed: false };
    let hostKeyRejected = false;
    connection.ready = new Promise<Client>((resolve, reject) => {
      client.once('ready', () => {
        this.backoffs.delete(key);
        resolve(client);
      });
      client.on('error', (error: Error & { level?: string }) => {
        const reason = hostKeyRejected
          ? new HostKeyRejectedError(`host key of ${target.host}:${target.port} is not trusted (pin its SHA256 fingerprint or add it to known_hosts)`)
          : error.level === 'client-authentication'
            ? new SshAuthRejectedError(`SSH to ${target.username}@${target.host}:${target.port} failed: ${error.message}`)
            : new SshConnectError(`SSH to ${target.username}@${target.host}:${target.port} failed: ${error.message}`);
        this.forget(key, connection, reason.message, reason.transient);
        reject(reason);
      });
      client.once('close', () => {
        this.forget(key, connection, `SSH connection to ${target.host}:${target.port} closed`);
        reject(new SshConnectError(`SSH connection to ${target.host}:${target.port} closed before it was ready`));
      });
    });
    connection.ready.catch(() => {});
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      readyTimeout: this.options.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (hostKey: Buffer) => {
        const trusted = this.options.hostKeys.verify(target.host, target.port, target.hostKeyFingerprint, hostKey);
        hostKeyRejected = !trusted;
        return trusted;
      },
    });
    return connection;
  }

  /** Drops a dead connection and schedules when the next attempt may start. */
  private forget(key: string, connection: Connection, reason: string, transient = true): void {
    if (connection.closed) return;
    connection.closed = true;
    if (this.connections.get(key) === connection) this.connections.delete(key);
    const failures = (this.backoffs.get(key)?.failures ?? 0) + 1;
    const base = this.options.backoffMs ?? 1_000;
    const delay = Math.min(base * 2 ** (failures - 1), this.options.maxBackoffMs ?? 30_000);
    this.backoffs.set(key, { failures, retryAt: Date.now() + delay, reason, transient });
    connection.waiting.splice(0).forEach((wake) => wake());
  }

  private acquire(connection: Connection, signal: AbortSignal): Promise<void> {
    if (connection.channels < this.options.maxChannelsPerConnection) {
      connection.channels++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        if (connection.closed) return reject(new SshConnectError('SSH connection closed while waiting for a channel'));
        connection.channels++;
        resolve();
      };
      const onAbort = () => {
        connection.waiting = connection.waiting.filter((w) => w !== wake);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      connection.waiting.push(wake);
    });
  }

  private release(connection: Connection): void {
    connection.channels--;
    connection.waiting.shift()?.();
  }
}

class ChannelOpenError extends SshConnectError {}

const CHANNEL_RETRY_DELAYS_MS = [25, 100, 250];

/**
 * sshd frees a session slot only once it has processed the close of the last
 * command, so a channel opened right after another closed can be refused
 * under load ("open failed"); a short retry is enough.
 */
async function runWithChannelRetry(client: Client, command: string, signal: AbortSignal): Promise<ExecResult> {
  for (const delay of CHANNEL_RETRY_DELAYS_MS) {
    try {
      return await runCommand(client, command, signal);
    } catch (error) {
      if (!(error instanceof ChannelOpenError) || signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return runCommand(client, command, signal);
}

function runCommand(client: Client, command: string, signal: AbortSignal): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    client.exec(command, (error, stream: ClientChannel) => {
      if (error) return reject(new ChannelOpenError(`could not open an SSH channel: ${error.message}`));
      let stdout = '';
      let stderr = '';
      const onAbort = () => {
        stream.close();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (chunk: Buffer) => {
        if (stdout.length < MAX_OUTPUT) stdout += chunk.toString('utf8');
      });
      stream.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_OUTPUT) stderr += chunk.toString('utf8');
      });
      // The exit status arrives in its own message; 'close' may come without repeating it.
      let exit: { code: number | null; signal: string | null } | null = null;
      stream.on('exit', (code: number | null | undefined, exitSignal?: string | null) => {
        exit = { code: code ?? null, signal: exitSignal ?? null };
      });
      stream.on('close', (code: number | null | undefined, exitSignal: string | null | undefined) => {
        signal.removeEventListener('abort', onAbort);
        const status = exit ?? (code !== null && code !== undefined ? { code, signal: null } : exitSignal ? { code: null, signal: exitSignal } : null);
        // No exit status at all: the connection went away, which says nothing about the service.
        if (!status) {
          reject(new SshConnectError('the SSH connection closed before the command finished'));
          return;
        }
        resolve({ ...status, stdout, stderr });
      });
    });
  });
}
