import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import type { Db } from 'mongodb';
import type { Logger } from '../common/logger.js';
import type { CheckEngine } from '../modules/checks/engine.js';
import type { UptimeService } from '../modules/history/uptime.service.js';

/** Job names and their data: a job missing here cannot be defined or scheduled. */
export interface JobData {
  [dispatchJob: `dispatch-due-checks:${number}`]: Record<string, never>;
  'refresh-uptime-percentages': Record<string, never>;
}

export interface SchedulerSettings {
  /** Recurring dispatch jobs; each runs in whichever process locks it, so several processes share the work. */
  dispatchSlots: number;
  /** How long one run of a dispatch job keeps claiming due services before returning to Agenda. */
  dispatchSliceMs: number;
  /** Pause between claims when nothing is due. */
  idlePollMs: number;
  /** Agenda's own polling, and the lock lifetime after which a dead process's jobs are taken over. */
  processEveryMs: number;
  lockLifetimeMs: number;
}

export interface Scheduler {
  stop(): Promise<void>;
}

/**
 * Agenda (MongoDB-backed) runs a few recurring dispatch jobs, not one job per
 * check: each claims due services in bulk through the engine's leases and runs
 * them with the engine's bounded concurrency. Job documents stay few, whatever
 * the number of services.
 */
export async function startScheduler(db: Db, engine: CheckEngine, uptime: UptimeService, settings: SchedulerSettings, logger: Logger): Promise<Scheduler> {
  // Each process holds at most half the dispatch slots (the short maintenance job borrows one), so a second
  // process always finds slots to run instead of the first one holding them all.
  const ownSlots = Math.max(1, Math.ceil(settings.dispatchSlots / 2));
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: 'agenda_jobs' }),
    processEvery: settings.processEveryMs,
    defaultLockLifetime: settings.lockLifetimeMs,
    maxConcurrency: ownSlots,
    lockLimit: ownSlots,
  });
  const stopping = new AbortController();
  agenda.on('error', (error: Error) => logger.warn('scheduler error', { reason: error.message }));

  for (let slot = 0; slot < settings.dispatchSlots; slot++) {
    const name: keyof JobData = `dispatch-due-checks:${slot}`;
    const until = () => sliceEnd(slot, settings.dispatchSlots, settings.dispatchSliceMs, Date.now());
    agenda.define(name, () => dispatchFor(engine, until(), settings, stopping.signal, logger), { concurrency: 1, lockLifetime: settings.lockLifetimeMs });
  }
  agenda.define(
    'refresh-uptime-percentages',
    () => uptime.refreshAllStoredPercentages({ signal: stopping.signal }),
    // Paced, it can take minutes on a large fleet; Agenda must not think it died and start another.
    { concurrency: 1, lockLifetime: 60 * 60_000 },
  );

  await agenda.start();
  // Created once, whichever process starts first: every() would rewrite the job and clear a lock another process holds.
  const interval = `${Math.max(1, Math.round(settings.processEveryMs / 1000))} seconds`;
  for (let slot = 0; slot < settings.dispatchSlots; slot++) {
    await agenda.create(`dispatch-due-checks:${slot}`, {}).repeatEvery(interval).unique({ name: `dispatch-due-checks:${slot}` }, { insertOnly: true }).save();
  }
  // Stored percentages survive restarts; the first refresh can wait its interval instead of landing on a busy start-up.
  await agenda.create('refresh-uptime-percentages', {}).repeatEvery('15 minutes', { skipImmediate: true }).unique({ name: 'refresh-uptime-percentages' }, { insertOnly: true }).save();
  logger.info('scheduler started', { dispatchSlots: settings.dispatchSlots });

  return {
    async stop() {
      stopping.abort();
      engine.shutdown();
      await agenda.drain(settings.dispatchSliceMs + 5_000);
      await agenda.stop(false);
    },
  };
}

/**
 * When a slot's slice ends: each slot at its own phase of the slice length, so the
 * slots a process holds never end together and are never all waiting for Agenda
 * to run them again (up to processEvery later) at once. At least half a slice long.
 */
export function sliceEnd(slot: number, slots: number, sliceMs: number, now: number): number {
  const phase = (slot * sliceMs) / slots;
  const end = Math.floor((now - phase) / sliceMs) * sliceMs + phase + sliceMs;
  return end - now < sliceMs / 2 ? end + sliceMs : end;
}

/** Claims and checks due services until the slice ends, polling briefly when nothing is due. */
async function dispatchFor(engine: CheckEngine, until: number, settings: SchedulerSettings, stop: AbortSignal, logger: Logger): Promise<void> {
  const running = new Set<Promise<number>>();
  while (Date.now() < until && !stop.aborted) {
    const batch = engine.dispatchDue().catch((error: Error) => {
      logger.error('dispatching checks failed', { reason: error.message });
      return 0;
    });
    running.add(batch);
    void batch.finally(() => running.delete(batch));
    if ((await Promise.race([batch, wait(settings.idlePollMs)])) === 0) await wait(settings.idlePollMs);
  }
  await Promise.all(running);
}

const wait = (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(-1), ms));
