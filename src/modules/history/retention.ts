import type { Logger } from '../../common/logger.js';
import type { HistoryService } from './history.service.js';

/**
 * @deprecated The server runs the generic sweep of every collection with a TTL index
 * (history and uptime rollups alike): `startTtlSweep` in src/db/ttl-sweep.ts. This
 * history-only sweep is kept only for test/domain/history.test.ts, which still
 * exercises it; nothing else calls it.
 */
export function startRetentionSweep(history: HistoryService, intervalMs: number, logger: Logger): () => void {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const deleted = await history.deleteExpired();
      if (deleted > 0) logger.info('retention sweep deleted expired history', { deleted });
    } catch (error) {
      logger.warn('retention sweep failed; will retry', { reason: error instanceof Error ? error.message : String(error) });
    } finally {
      running = false;
    }
  };
  void sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
