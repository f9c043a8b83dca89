import type { Logger } from '../../common/logger.js';
import type { HistoryService } from './history.service.js';

/**
 * Deletes expired history on a timer, for servers without a TTL monitor. On
 * MongoDB the TTL index does this and the sweep is never started.
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
