import type { LogLevel } from '../config/config.js';
import { redactValue, scrubText } from './secrets.js';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One line per entry on stderr, so stdout stays free for CLI output. Every line passes the redaction
 * layer: fields named like a secret (password, token, keyPath, authorization...) read `***`, target-like
 * fields (target, uri, url...) have their credentials masked, and every other text (the message, error
 * reasons, stacks) loses URL passwords, secret query parameters and `password=` pairs (src/common/secrets.ts).
 */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit = (entryLevel: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (rank[entryLevel] < rank[level]) return;
    const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(redactValue(fields))}` : '';
    write(`${new Date().toISOString()} ${entryLevel.toUpperCase().padEnd(5)} ${scrubText(message)}${suffix}`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

const nothing = () => {};
export const silentLogger: Logger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
