import type { Transport } from '../../events/pubsub.js';
import { LIVE_TOPICS, type LiveTopic, type LiveTopics } from './live-events.js';

const CHANNEL_PREFIX = 'service-monitor.live.';

/**
 * This process's door to live events. Publishing goes through the transport
 * (to every process when it is Redis); each topic is subscribed on the
 * transport once, and every arriving event is handed, as one shared object,
 * to this process's listeners.
 */
export class LiveHub {
  private readonly listeners = new Map<LiveTopic, Set<(event: never) => void>>();
  private readonly subscriptions: Promise<number>[] = [];

  constructor(private readonly transport: Transport) {}

  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  publish<T extends LiveTopic>(topic: T, event: LiveTopics[T]): Promise<void> {
    return this.transport.engine.publish(CHANNEL_PREFIX + topic, event);
  }

  /** Calls `listener` with every event of the topic, from any process; returns how to stop. */
  listen<T extends LiveTopic>(topic: T, listener: (event: LiveTopics[T]) => void): () => void {
    const listeners = this.channel(topic);
    listeners.add(listener as (event: never) => void);
    return () => listeners.delete(listener as (event: never) => void);
  }

  /**
   * Subscribes every topic on the transport now (Redis subscribes asynchronously:
   * a topic first subscribed when a client asks could miss what is published meanwhile).
   */
  async subscribeAll(): Promise<void> {
    for (const topic of LIVE_TOPICS) this.channel(topic);
    await this.ready();
  }

  private channel(topic: LiveTopic): Set<(event: never) => void> {
    const existing = this.listeners.get(topic);
    if (existing) return existing;
    const listeners = new Set<(event: never) => void>();
    this.listeners.set(topic, listeners);
    this.subscriptions.push(
      this.transport.engine.subscribe(
        CHANNEL_PREFIX + topic,
        (event: never) => {
          for (const deliver of listeners) deliver(event);
        },
        {},
      ),
    );
    return listeners;
  }

  /** Resolves once every topic listened to so far is subscribed on the transport (Redis subscribes asynchronously). */
  async ready(): Promise<void> {
    await Promise.all(this.subscriptions);
  }

  listenerCount(topic: LiveTopic): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  async close(): Promise<void> {
    for (const id of await Promise.all(this.subscriptions)) this.transport.engine.unsubscribe(id);
    this.listeners.clear();
    await this.transport.close();
  }
}
