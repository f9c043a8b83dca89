/**
 * Real graphql-ws clients (the `ws` package over real sockets) for live tests.
 */
import { createClient, type Client, type FormattedExecutionResult as ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

export interface LiveClient {
  client: Client;
  /** Resolves with the close code and reason when the server closes the socket. */
  closed: Promise<Closed>;
  dispose(): Promise<void>;
}

export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** A graphql-ws client authenticating with `key` (none when null); never retries, so a refusal shows. */
export function liveClient(httpUrl: string, key: string | null): LiveClient {
  let onClosed!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: false,
    shouldRetry: () => false,
    on: { closed: (event) => onClosed({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason ?? '') }) },
    onNonLazyError: () => {},
  });
  return { client, closed, dispose: () => client.dispose() as Promise<void> };
}

export interface Feed<TData = Record<string, unknown>> {
  readonly results: ExecutionResult<TData, unknown>[];
  /** Data of every result so far. */
  readonly data: TData[];
  readonly completed: boolean;
  readonly error: unknown;
  /** Resolves once `count` results arrived; rejects after `timeoutMs`, naming what did arrive. */
  waitFor(count: number, timeoutMs?: number): Promise<TData[]>;
  stop(): void;
}

export function subscribe<TData = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): Feed<TData> {
  const results: ExecutionResult<TData, unknown>[] = [];
  const waiters = new Set<() => void>();
  const state = { completed: false, error: undefined as unknown };
  const notify = () => waiters.forEach((wake) => wake());
  const stop = client.subscribe<TData>(
    { query, variables },
    {
      next: (result) => {
        results.push(result);
        notify();
      },
      error: (error) => {
        state.error = error;
        state.completed = true;
        notify();
      },
      complete: () => {
        state.completed = true;
        notify();
      },
    },
  );
  const feed: Feed<TData> = {
    results,
    get data() {
      return results.map((r) => r.data!).filter(Boolean);
    },
    get completed() {
      return state.completed;
    },
    get error() {
      return state.error;
    },
    waitFor(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (results.length >= count) {
            cleanup();
            resolve(feed.data);
          } else if (state.completed) {
            cleanup();
            reject(new Error(`subscription ended after ${results.length} of ${count} results: ${JSON.stringify(state.error ?? results)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms with ${results.length} of ${count} results: ${JSON.stringify(results)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop,
  };
  return feed;
}

/**
 * A bare WebSocket speaking graphql-transport-ws by hand, for protocol-level
 * tests (auth refusals, a client that never answers pings).
 */
export async function rawSocket(httpUrl: string, options: { autoPong?: boolean } = {}): Promise<{ socket: WebSocket; closed: Promise<Closed>; messages: unknown[] }> {
  const socket = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws', { autoPong: options.autoPong ?? true });
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<Closed>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed, messages };
}

/** Resolves when `condition` holds, polling; rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
