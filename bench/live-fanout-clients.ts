/**
 * The subscriber side of bench/live-fanout.ts, run as its child process so
 * that the clients' work and memory stay out of the server's figures. Driven
 * over IPC by the parent (see ToClients / FromClients); not meant to be run
 * by hand.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** Commands from the benchmark (server) process. */
export type ToClients =
  /** Opens `count` graphql-ws connections (connection_init acknowledged), `concurrency` at a time. */
  | { kind: 'connect'; url: string; key: string; count: number; concurrency: number }
  /** One subscription per connection; a host id filters that connection's subscription to the host, null takes every event. */
  | { kind: 'subscribe'; hostFilters: (string | null)[]; ownSelection: boolean }
  /** Replies once `expected` events have arrived over all connections, or after `timeoutMs`. */
  | { kind: 'collect'; expected: number; timeoutMs: number }
  | { kind: 'close' };

export type FromClients =
  | { kind: 'connected'; connected: number; failures: string[] }
  | { kind: 'subscribed' }
  | { kind: 'collected'; report: ClientsReport };

export interface ClientsReport {
  /** Results received, over every subscription. */
  received: number;
  /** Results received again for an event id a subscription already had. */
  duplicates: number;
  /** Receipt time minus the event's `at`, one per result. */
  latenciesMs: number[];
  /** Results carrying GraphQL errors or no data, subscription errors, sockets closed by the server. */
  problems: string[];
  /** This process's own event-loop delay while receiving (ms beyond the sampling timer), to tell whether the client side kept up. */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** This process's CPU time over the same span, in percent of one core. */
  cpuPercent: number;
}

const STATUS_SUBSCRIPTION = 'subscription { serviceStatusChanged { id at serviceId status previousStatus service { serviceId serviceName } } }';
const FILTERED_STATUS_SUBSCRIPTION =
  'subscription ($filter: ServiceEventFilterInput) { serviceStatusChanged(filter: $filter) { id at serviceId status previousStatus service { serviceId serviceName } } }';

interface StatusChange {
  serviceStatusChanged: { id: string; at: string; service: { serviceId: string } | null };
}

const LAG_RESOLUTION_MS = 10;
const MAX_PROBLEMS_KEPT = 20;

const clients: Client[] = [];
const latenciesMs: number[] = [];
const problems: string[] = [];
let received = 0;
let duplicates = 0;
let closing = false;
const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
const arrivals: (() => void)[] = [];
/** Taken at the first receipt: the span the lag and CPU figures cover. */
let receivingFrom: { at: number; cpu: NodeJS.CpuUsage } | null = null;

function noteProblem(problem: string) {
  if (problems.length < MAX_PROBLEMS_KEPT) problems.push(problem);
}

function send(message: FromClients) {
  process.send!(message);
}

function connect(url: string, key: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      lazy: false,
      retryAttempts: 0,
      shouldRetry: () => false,
      onNonLazyError: reject,
      on: {
        connected: () => resolve(client),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          if (!closing) noteProblem(`socket closed by the server: ${code} ${reason}`);
        },
      },
    });
  });
}

async function connectAll(url: string, key: string, count: number, concurrency: number) {
  const failures: string[] = [];
  for (let opened = 0; opened < count; opened += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - opened) }, () => connect(url, key));
    for (const outcome of await Promise.allSettled(batch)) {
      if (outcome.status === 'fulfilled') clients.push(outcome.value);
      else if (failures.length < MAX_PROBLEMS_KEPT) failures.push(String((outcome.reason as { reason?: string })?.reason ?? outcome.reason));
    }
  }
  send({ kind: 'connected', connected: clients.length, failures });
}

/** `ownSelection`: each subscription gets an operation name of its own, so the server cannot share one execution between them. */
function subscribeAll(hostFilters: (string | null)[], ownSelection: boolean) {
  clients.forEach((client, index) => {
    const hostId = hostFilters[index] ?? null;
    const seen = new Set<string>();
    const request = hostId ? { query: FILTERED_STATUS_SUBSCRIPTION, variables: { filter: { hostId } } } : { query: STATUS_SUBSCRIPTION };
    if (ownSelection) request.query = request.query.replace(/^subscription/, `subscription Dashboard_${process.pid}_${index}`);
    client.subscribe<StatusChange>(request, {
      next: (result) => {
        const receivedAt = Date.now();
        const event = result.data?.serviceStatusChanged;
        if (!event || result.errors?.length || !event.service) noteProblem(`unexpected result: ${JSON.stringify(result)}`);
        if (event) {
          if (seen.has(event.id)) duplicates++;
          seen.add(event.id);
          latenciesMs.push(receivedAt - Date.parse(event.at));
        }
        if (received++ === 0) {
          lag.enable();
          receivingFrom = { at: performance.now(), cpu: process.cpuUsage() };
        }
        arrivals.forEach((arrived) => arrived());
      },
      error: (error) => noteProblem(`subscription error: ${JSON.stringify(error)}`),
      complete: () => {
        if (!closing) noteProblem('subscription completed by the server');
      },
    });
  });
  send({ kind: 'subscribed' });
}

async function collect(expected: number, timeoutMs: number) {
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      arrivals.length = 0;
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    arrivals.push(() => received >= expected && done());
    if (received >= expected) done();
  });
  lag.disable();
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LAG_RESOLUTION_MS) * 10) / 10);
  const eventLoopLagMs = { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) };
  const cpu = receivingFrom ? process.cpuUsage(receivingFrom.cpu) : { user: 0, system: 0 };
  const cpuPercent = receivingFrom ? Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - receivingFrom.at)) * 100) : 0;
  send({ kind: 'collected', report: { received, duplicates, latenciesMs, problems, eventLoopLagMs, cpuPercent } });
}

async function closeAll() {
  closing = true;
  await Promise.all(clients.map((client) => client.dispose()));
  process.exit(0);
}

process.on('message', (message: ToClients) => {
  if (message.kind === 'connect') void connectAll(message.url, message.key, message.count, message.concurrency);
  else if (message.kind === 'subscribe') subscribeAll(message.hostFilters, message.ownSelection);
  else if (message.kind === 'collect') void collect(message.expected, message.timeoutMs);
  else void closeAll();
});
// The benchmark gone (crashed or killed), nothing is left to report to.
process.on('disconnect', () => process.exit(0));
