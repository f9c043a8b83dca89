import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { LogLevel } from '../config/config.js';
import { MASK, redactValue, scrubText } from './secrets.js';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line carries these fields too (`{ component: 'checks' }`). */
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Fields that hold a secret wherever they appear (pino's path redaction, applied before anything is written);
 * fields named like a secret at any other depth, target-like fields (credentials masked) and every text (URL
 * passwords, secret query parameters, `password=` pairs) pass src/common/secrets.ts as well.
 */
export const REDACTED_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'apiKey',
  'api_key',
  'key_path',
  'keyPath',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
  '*.key_path',
  '*.keyPath',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * One JSON object per line on stderr (stdout stays free for CLI output): `level`, `time` (ISO 8601), `msg`, the
 * logger's bindings (`component`) and the fields. On a terminal the same lines are shown pretty. `write` takes
 * each line instead (tests).
 */
export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const destination: DestinationStream = write
    ? { write: (line: string) => write(line.replace(/\n$/, '')) }
    : process.stderr.isTTY
      ? PinoPretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l' })
      : // Written off the event loop (a line per request must not hold requests up); flushed at exit (below).
        flushedAtExit(pino.destination({ dest: 2, sync: false }));
  const base = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: MASK },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => redactValue(fields) as Record<string, unknown>,
      },
    },
    destination,
  );
  return wrap(base);
}

interface AsyncDestination extends DestinationStream {
  readonly destroyed?: boolean;
  flushSync(): void;
  end(): void;
  once(event: 'close', listener: () => void): unknown;
}

const unflushed = new Set<AsyncDestination>();

/**
 * An asynchronous destination's buffer is written out when the process exits, whatever makes it exit. A line
 * still being written then can land after the ones flushed, so a deliberate exit goes through `exitAfterLogs`.
 */
function flushedAtExit(destination: AsyncDestination): DestinationStream {
  if (unflushed.size === 0) {
    process.on('exit', () => {
      for (const each of unflushed) {
        try {
          each.flushSync();
        } catch {
          // stderr closed: nothing left to tell
        }
      }
    });
  }
  unflushed.add(destination);
  // A line logged in the instant between the end of the stream and the exit is dropped, not thrown at its caller.
  return { write: (line: string) => void (destination.destroyed || destination.write(line)) };
}

/**
 * Exits once every line logged so far is written, in order: the line said right before a `process.exit(69)`
 * ("could not be restarted") is the one the operator needs, and it must be the last one. Waits at most `waitMs`.
 */
export function exitAfterLogs(code: number, waitMs = 2_000): void {
  const ending = [...unflushed].map(
    (destination) =>
      new Promise<void>((resolve) => {
        destination.once('close', resolve);
        try {
          destination.end();
        } catch {
          resolve(); // already closed
        }
      }),
  );
  unflushed.clear();
  setTimeout(() => process.exit(code), waitMs).unref();
  void Promise.all(ending).then(() => process.exit(code));
}

function wrap(logger: PinoLogger): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (!logger.isLevelEnabled(level)) return;
      if (fields && Object.keys(fields).length > 0) logger[level](fields, scrubText(message));
      else logger[level](scrubText(message));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (bindings) => wrap(logger.child(bindings)) };
}

const nothing = () => {};
export const silentLogger: Logger = { debug: nothing, info: nothing, warn: nothing, error: nothing, child: () => silentLogger };
