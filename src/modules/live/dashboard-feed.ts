import type { DashboardService, DashboardSummary } from '../dashboard/dashboard.service.js';
import type { LiveHub } from './live-hub.js';

const TOPICS_THAT_MOVE_COUNTS = ['serviceStatusChanged', 'hostChanged', 'serviceChanged'] as const;

/**
 * The dashboard summary, pushed to this process's subscribers at most once per
 * `periodMs`, and only when it changed. Recomputed only while someone listens
 * and something that moves the counts happened; each process computes its own
 * from the database, so nothing extra crosses the transport.
 */
export class DashboardFeed {
  private readonly listeners = new Set<(summary: DashboardSummary) => void>();
  private last: string | null = null;
  private dirty = true;
  private refreshing = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly stopListening: (() => void)[];

  constructor(
    private readonly dashboard: DashboardService,
    hub: LiveHub,
    private readonly periodMs: number,
    private readonly onError: (reason: unknown) => void,
  ) {
    this.stopListening = TOPICS_THAT_MOVE_COUNTS.map((topic) => hub.listen(topic, () => (this.dirty = true)));
  }

  /** Calls `listener` with the current summary at once, then with every change. */
  listen(listener: (summary: DashboardSummary) => void): () => void {
    this.listeners.add(listener);
    this.dashboard.summary().then((summary) => {
      this.last ??= JSON.stringify(summary);
      listener(summary);
    }, this.onError);
    this.timer ??= setInterval(() => void this.refresh(), this.periodMs);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
        this.dirty = true;
        this.last = null;
      }
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.stopListening.forEach((stop) => stop());
    this.listeners.clear();
  }

  private async refresh(): Promise<void> {
    // One computation at a time: overlapping ones could deliver an older summary after a newer one.
    if (!this.dirty || this.refreshing || this.listeners.size === 0) return;
    this.dirty = false;
    this.refreshing = true;
    try {
      const summary = await this.dashboard.summary();
      const text = JSON.stringify(summary);
      if (text === this.last) return;
      this.last = text;
      for (const listener of this.listeners) listener(summary);
    } catch (error) {
      this.dirty = true;
      this.onError(error);
    } finally {
      this.refreshing = false;
    }
  }
}
