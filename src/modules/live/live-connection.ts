import type { DashboardFeed } from './dashboard-feed.js';
import type { SendBudget } from './event-stream.js';
import type { LiveHub } from './live-hub.js';
import type { LiveReplay } from './replay.js';

/** The live parts a subscription needs, shared by the process, plus its connection's send budget. */
export interface LiveConnection {
  hub: LiveHub;
  replay: LiveReplay;
  dashboard: DashboardFeed;
  budget: SendBudget;
}
