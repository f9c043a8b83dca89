import type { NotificationChannel } from './channel.model.js';
import { DeliveryError, summarize, type AlertMessage } from './channels/channel.js';
import { channelSenders } from './channels/registry.js';

const TEST_TIMEOUT_MS = 10_000;

/** Sends a test message to a channel now and reports how it went (never throws for a failed delivery). */
export async function testChannel(channel: NotificationChannel, now = new Date()): Promise<{ delivered: boolean; error: string | null; duration_ms: number }> {
  const note = `channel '${channel.name}' (${channel.type}) works`;
  const message: AlertMessage = { event: 'test', incidents: [], dependents: [], note, summary: summarize('test', [], note), sent_at: now };
  const started = performance.now();
  try {
    await channelSenders[channel.type].send(message, channel, AbortSignal.timeout(TEST_TIMEOUT_MS));
    return { delivered: true, error: null, duration_ms: Math.round(performance.now() - started) };
  } catch (error) {
    const reason = error instanceof DeliveryError ? error.message : `could not deliver (${error instanceof Error ? error.message : String(error)})`;
    return { delivered: false, error: reason, duration_ms: Math.round(performance.now() - started) };
  }
}
