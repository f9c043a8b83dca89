import type { EventBus } from '../../events/event-bus.js';
import { createTransport } from '../../events/pubsub.js';
import type { Domain } from '../domain.js';
import { DashboardFeed } from './dashboard-feed.js';
import { bridgeDomainEvents } from './live-bridge.js';
import { LiveHub } from './live-hub.js';
import { LiveReplay } from './replay.js';

export interface LiveSettings {
  redisUrl: string | undefined;
  liveReplayLimit: number;
  /** How often at most the dashboard summary is pushed (1 s in production). */
  dashboardPeriodMs?: number;
}

export interface Live {
  hub: LiveHub;
  replay: LiveReplay;
  dashboard: DashboardFeed;
  close(): Promise<void>;
}

/**
 * Publishes this process's domain events to the live transport (in-memory, or
 * Redis when configured). A worker needs only this; see `startLive` for serving.
 */
export async function startLivePublisher(events: EventBus, redisUrl: string | undefined, onError: (reason: unknown) => void) {
  const hub = new LiveHub(await createTransport(redisUrl, onError));
  const stopBridge = bridgeDomainEvents(events, hub, onError);
  return {
    hub,
    async close() {
      stopBridge();
      await hub.close();
    },
  };
}

/** Everything an API process serves subscriptions with: the hub, replay from history, the dashboard feed. */
export async function startLive(events: EventBus, domain: Domain, settings: LiveSettings, onError: (reason: unknown) => void): Promise<Live> {
  const publisher = await startLivePublisher(events, settings.redisUrl, onError);
  const dashboard = new DashboardFeed(domain.dashboard, publisher.hub, settings.dashboardPeriodMs ?? 1_000, onError);
  await publisher.hub.subscribeAll();
  return {
    hub: publisher.hub,
    replay: new LiveReplay(settings.liveReplayLimit),
    dashboard,
    async close() {
      dashboard.close();
      await publisher.close();
    },
  };
}
