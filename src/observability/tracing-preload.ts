/**
 * The first import of an entry point: instrumentations patch a library as it loads, so tracing starts before
 * any other module of the process (reflect-metadata, mongoose, ioredis, graphql) runs. Static imports run in
 * order, and this module and tracing.ts are synchronous, so nothing else runs before it is done.
 * Without an OTLP endpoint configured, `tracing` is a no-op.
 */
import { startTracing } from './tracing.js';

export const tracing = startTracing();
