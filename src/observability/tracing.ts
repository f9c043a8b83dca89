import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { projectRoot } from '../db/paths.js';

/** The name spans made by this code (checks) are recorded under, beside each instrumentation's own. */
export const TRACER_NAME = 'service-monitor';
const DEFAULT_SERVICE_NAME = 'service-monitor';
/** Probes and scrapes, asked every few seconds: a trace each would bury the requests worth looking at. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/**
 * Loaded through `require` once the instrumentations are registered. An ESM `import` of a CommonJS package
 * does not pass through `require`, where the instrumentations hook in, so ioredis imported from our ESM code
 * would stay unpatched; loaded here first, every later import gets the patched copy from the module cache.
 */
const INSTRUMENTED_MODULES = ['node:http', 'node:https', 'mongodb', 'ioredis', 'graphql'];
/** Longest shutdown waits for the last spans to be sent: an unreachable collector must not hold up the exit. */
const SHUTDOWN_SEND_MS = 5_000;

export interface TracingOptions {
  /** Where OTEL_* settings are read; process.env unless given. */
  env?: NodeJS.ProcessEnv;
  /** Spans go here instead of OTLP/HTTP, whatever the environment says (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Sends every span ended so far. */
  flush(): Promise<void>;
  /** Sends what is left and stops recording; for the last step of shutdown. */
  shutdown(): Promise<void>;
}

const TRACING_OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };

let running: Tracing | null = null;

/** Whether the environment asks for traces: an OTLP endpoint set, and the SDK not switched off. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/**
 * Starts tracing when an OTLP endpoint is configured (or an exporter is given): spans of incoming HTTP
 * requests, GraphQL operations, MongoDB and Redis commands, and checks (see `withSpan`), batched to
 * OTLP/HTTP. Otherwise does nothing at all: no SDK is loaded, nothing is patched, and the API's calls stay
 * no-ops. Must run before mongodb, ioredis or graphql is first loaded (see tracing-preload.ts); once per process.
 */
export function startTracing(options: TracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  if (!options.exporter && !tracingConfigured(env)) return TRACING_OFF;
  running ??= startSdk(options.exporter, serviceNameOf(env));
  return running;
}

function serviceNameOf(env: NodeJS.ProcessEnv): string {
  return env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME;
}

/**
 * The SDK is loaded with `require`, synchronously and only here: the preload must be done before the next
 * module of the entry point runs (a top-level await would let it run meanwhile), and a process without
 * tracing never loads it.
 */
function startSdk(givenExporter: SpanExporter | undefined, serviceName: string): Tracing {
  const require = createRequire(import.meta.url);
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { detectResources, envDetector, resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');

  // OTEL_RESOURCE_ATTRIBUTES adds to the resource; the service name is ours unless OTEL_SERVICE_NAME says otherwise.
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: packageVersion() }),
  );
  // The OTLP exporter reads its endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
  const exporter = givenExporter ?? new OTLPTraceExporter();
  const processor = new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  registerInstrumentations(require);
  for (const name of INSTRUMENTED_MODULES) require(name);

  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    // Spans that could not be sent are lost, not a failure of the process's shutdown.
    shutdown: () => settledWithin(provider.shutdown().catch(() => {}), SHUTDOWN_SEND_MS),
  };
}

function registerInstrumentations(require: NodeJS.Require): void {
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { MongoDBInstrumentation } = require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(pathOf(request)),
        // Outgoing URLs are check targets and alert webhooks, whose paths and queries can hold secrets;
        // a check has a span of its own.
        disableOutgoingRequestInstrumentation: true,
      }),
      // Commands outside any request or check (the scheduler's polling, every second) are left out, as by default.
      new MongoDBInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      // The operation's span ("query Hosts") with parse and validate: type-graphql makes every field a
      // resolver, so a span per resolved field would be thousands for one list.
      new GraphQLInstrumentation({ ignoreResolveSpans: true }),
    ],
  });
}

/** Waits for `work` at most `ms`; whatever it does after that is no longer waited for. */
async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '').split('?', 1)[0]!;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

/**
 * Runs `work` in a span of its own (a child of the current one) that ends when `work` settles, with a thrown
 * error recorded. With tracing off the API's no-op tracer makes this little more than a call of `work`.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed: the error as an exception event, its message as the status. */
export function markFailed(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}
