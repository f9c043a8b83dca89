import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';

export interface CommandTiming {
  command: string;
  collection: string | null;
  durationMs: number;
  ok: boolean;
}

/**
 * Reports every database command's duration (the driver's command monitoring; the client must be connected with
 * `monitorCommands: true`). Returns the function that stops listening.
 */
export function watchCommandTimes(client: MongoClient, report: (timing: CommandTiming) => void): () => void {
  const collections = new Map<number, string | null>();
  const started = (event: CommandStartedEvent) => {
    const target: unknown = event.command[event.commandName];
    collections.set(event.requestId, typeof target === 'string' ? target : null);
  };
  const finished = (ok: boolean) => (event: CommandSucceededEvent | CommandFailedEvent) => {
    const collection = collections.get(event.requestId) ?? null;
    collections.delete(event.requestId);
    report({ command: event.commandName, collection, durationMs: event.duration, ok });
  };
  const succeeded = finished(true);
  const failed = finished(false);
  client.on('commandStarted', started);
  client.on('commandSucceeded', succeeded);
  client.on('commandFailed', failed);
  return () => {
    client.off('commandStarted', started);
    client.off('commandSucceeded', succeeded);
    client.off('commandFailed', failed);
  };
}
