import type { Logger } from './logger.js';

export interface ThrottledLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * At most `perWindow` lines per `windowMs`; past that lines are counted, and the first line of a later
 * window says how many were left out. For events anyone can cause (refused or broken sockets), so they
 * cannot flood the log.
 */
export function throttledLog(logger: Logger, topic: string, perWindow = 20, windowMs = 60_000, now: () => number = Date.now): ThrottledLog {
  let windowStart = -Infinity;
  let written = 0;
  let suppressed = 0;
  return {
    warn(message, fields) {
      const at = now();
      if (at - windowStart >= windowMs) {
        if (suppressed > 0) logger.warn(`${topic}: ${suppressed} more such lines were not logged`, { windowSec: Math.round(windowMs / 1000) });
        windowStart = at;
        written = 0;
        suppressed = 0;
      }
      if (written >= perWindow) {
        suppressed++;
        return;
      }
      written++;
      logger.warn(message, fields);
    },
  };
}

/** The first line of an error's message, never its stack. */
export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}
