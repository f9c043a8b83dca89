import type { Logger } from '../common/logger.js';
import type { ReadinessProblem } from '../http/api-server.js';
import type { Repair, SchedulerHealth } from './scheduler.js';

export interface WatchdogSettings {
  /** No dispatch for this long, in a process that should dispatch, is a stall: repaired and reported. */
  stallAfterMs: number;
  /** How often the watchdog looks. */
  checkEveryMs: number;
  /** Dispatch slots there are (all processes together). */
  dispatchSlots: number;
}


export interface Watchdog {
  /** The scheduler's problem, if it has one now: no dispatch for longer than allowed while no other process serves its slots. */
  problem(): ReadinessProblem | null;
  stop(): void;
}

/**
 * Notices when this process should be dispatching checks and has not for
 * `stallAfterMs`, and repairs what it can: Agenda's jobs (missing, stale locks,
 * lost next run time, disabled) and Agenda's processing in this process (restarted,
 * which also frees lock slots Agenda lost track of). Every repair is one log line
 * naming the jobs and this process. Nothing is repaired while the database does
 * not answer (there is nothing to repair then; /readyz says so), and a stall is
 * measured from the later of the last dispatch and the moment the database (or
 * this process, after its event loop was frozen) came back, so the scheduler gets
 * one period to resume on its own before anything is touched.
 */
export function startWatchdog(health: SchedulerHealth, pingDatabase: () => Promise<void>, settings: WatchdogSettings, logger: Logger): Watchdog {
  let stalled = false;
  let lastTickAt = Date.now();
  let resumedAt = Date.now();
  let lastRepairAt = 0;
  let leakedTicks = 0;
  let databaseWasDown = false;
  let ticking = false;
  let stopped = false;

  const tick = async () => {
    if (ticking || stopped) return;
    ticking = true;
    try {
      const now = Date.now();
      // The timer fired far too late: this process was frozen (or starved). Everything looks stalled now
      // and is not; give the scheduler its period to resume before judging.
      if (now - lastTickAt > settings.checkEveryMs * 3) resumedAt = now;
      lastTickAt = now;
      const age = now - health.lastDispatchAt();
      try {
        await pingDatabase();
      } catch {
        databaseWasDown = true;
        stalled = age > settings.stallAfterMs;
        return;
      }
      if (databaseWasDown) {
        databaseWasDown = false;
        resumedAt = Date.now();
      }
      // Agenda holding locks it neither runs nor has queued, twice in a row: lock slots it lost track of.
      const state = await health.processorState();
      leakedTicks = state.locked > state.running + state.queued ? leakedTicks + 1 : 0;
      const waited = Date.now() - Math.max(health.lastDispatchAt(), resumedAt);
      if (waited <= settings.stallAfterMs && leakedTicks < 2) {
        stalled = false;
        return;
      }
      const jobs = await health.dispatchJobs();
      const servedElsewhere =
        leakedTicks < 2 &&
        jobs.length >= settings.dispatchSlots &&
        jobs.every((job) => job.lastRunAt && Date.now() - +job.lastRunAt <= settings.stallAfterMs && job.nextRunAt && !job.disabled);
      // Every slot ran lately, in other processes: this one is a spare, not stalled.
      stalled = !servedElsewhere && waited > settings.stallAfterMs;
      if ((!stalled && leakedTicks < 2) || Date.now() - lastRepairAt < settings.stallAfterMs) return;
      lastRepairAt = Date.now();
      const repairs = await health.repair({ restart: true });
      leakedTicks = 0;
      resumedAt = Date.now();
      for (const repair of repairs) logRepair(repair, { age, locked: state.locked, running: state.running, queued: state.queued });
    } catch (error) {
      logger.warn('scheduler watchdog could not look or repair; will retry', { process: health.processId, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      ticking = false;
    }
  };

  const logRepair = (repair: Repair, seen: { age: number; locked: number; running: number; queued: number }) => {
    logger.warn('scheduler watchdog repair', {
      action: repair.action,
      process: health.processId,
      jobs: repair.jobs.map((job) => (job.id ? `${job.name}#${job.id}` : job.name)),
      lastDispatchAgeMs: seen.age,
      agendaLocked: seen.locked,
      agendaRunning: seen.running,
      agendaQueued: seen.queued,
    });
  };

  const timer = setInterval(() => void tick(), settings.checkEveryMs);
  timer.unref();
  return {
    problem() {
      const age = Date.now() - health.lastDispatchAt();
      if (!stalled || age <= settings.stallAfterMs) return null;
      return {
        component: 'scheduler',
        reason: `no checks dispatched for ${Math.round(age / 1000)} s`,
        lastDispatchAt: new Date(health.lastDispatchAt()).toISOString(),
        lastDispatchAgeMs: age,
      };
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
