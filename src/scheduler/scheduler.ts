import { hostname } from 'node:os';
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, type Job, type JobParameters } from 'agenda';
import { ObjectId, type Collection, type Db } from 'mongodb';
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

/** What the watchdog reads of Agenda's state, and the repairs it can ask for. */
export interface SchedulerHealth {
  /** This process's name in Agenda (`lastModifiedBy` on the jobs it locks): host:pid. */
  readonly processId: string;
  /** Wall-clock ms of the last dispatch round (a claim of due services, found or not) that completed; the start time before the first. */
  lastDispatchAt(): number;
  /** Jobs Agenda's processor in this process holds locked, runs, and has queued. */
  processorState(): Promise<{ locked: number; running: number; queued: number }>;
  /** The dispatch job documents, as stored. */
  dispatchJobs(): Promise<DispatchJobState[]>;
  /**
   * Repairs what can be repaired and says what it did: recreates missing dispatch jobs, clears stale
   * locks, gives a lost next run time back, re-enables a disabled one; with `restart`, restarts
   * Agenda's processing in this process (its own lock bookkeeping starts afresh).
   */
  repair(options: { restart: boolean }): Promise<Repair[]>;
}

export interface DispatchJobState {
  id: string;
  name: string;
  lockedAt: Date | null;
  lastRunAt: Date | null;
  nextRunAt: Date | null;
  disabled: boolean;
  lastModifiedBy: string | null;
}

export interface Repair {
  action: 'recreated-dispatch-job' | 'cleared-stale-lock' | 'restored-next-run' | 're-enabled' | 'restarted-processing';
  /** The job(s) it concerned: `name` (and `id` where the document existed). */
  jobs: { name: string; id?: string }[];
}

export interface Scheduler {
  readonly health: SchedulerHealth;
  /**
   * Stops claiming at once and waits for the dispatch runs under way and the checks they started (their
   * checks finish, results are written, leases released) up to `drainTimeoutMs` (default: a slice and 5 s),
   * then stops Agenda.
   */
  stop(drainTimeoutMs?: number): Promise<void>;
}

const JOBS_COLLECTION = 'agenda_jobs';

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
  const processId = `${hostname()}:${process.pid}`;
  const jobs = db.collection(JOBS_COLLECTION);
  const backend = new MongoBackend({ mongo: db, collection: JOBS_COLLECTION });
  stampLocksOnArrival(backend, jobs, settings, logger);
  const agenda = new Agenda({
    name: processId,
    backend,
    processEvery: settings.processEveryMs,
    defaultLockLifetime: settings.lockLifetimeMs,
    maxConcurrency: ownSlots,
    lockLimit: ownSlots,
  });
  const stopping = new AbortController();
  agenda.on('error', quietly(logger, 'scheduler error'));

  let lastDispatchAt = Date.now();
  const dispatched = () => {
    lastDispatchAt = Date.now();
  };
  const slotNames = Array.from({ length: settings.dispatchSlots }, (_, slot): keyof JobData => `dispatch-due-checks:${slot}`);
  for (const [slot, name] of slotNames.entries()) {
    const until = () => sliceEnd(slot, settings.dispatchSlots, settings.dispatchSliceMs, Date.now());
    agenda.define(name, (job: Job) => dispatchFor(job, engine, until(), settings, stopping.signal, logger, dispatched), {
      concurrency: 1,
      lockLifetime: settings.lockLifetimeMs,
    });
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
  const createDispatchJob = (name: keyof JobData) => agenda.create(name, {}).repeatEvery(interval).unique({ name }, { insertOnly: true }).save();
  for (const name of slotNames) await createDispatchJob(name);
  // Stored percentages survive restarts; the first refresh can wait its interval instead of landing on a busy start-up.
  await agenda.create('refresh-uptime-percentages', {}).repeatEvery('15 minutes', { skipImmediate: true }).unique({ name: 'refresh-uptime-percentages' }, { insertOnly: true }).save();
  logger.info('scheduler started', { dispatchSlots: settings.dispatchSlots, process: processId });

  const dispatchJobs = async (): Promise<DispatchJobState[]> => {
    const docs = await jobs.find({ name: { $in: slotNames } }, { maxTimeMS: 5_000 }).toArray();
    return docs.map((doc) => ({
      id: String(doc._id),
      name: String(doc.name),
      lockedAt: doc.lockedAt ?? null,
      lastRunAt: doc.lastRunAt ?? null,
      nextRunAt: doc.nextRunAt ?? null,
      disabled: doc.disabled === true,
      lastModifiedBy: doc.lastModifiedBy ?? null,
    }));
  };

  let restarting: Promise<void> | null = null;
  const health: SchedulerHealth = {
    processId,
    lastDispatchAt: () => lastDispatchAt,
    async processorState() {
      const stats = await agenda.getRunningStats();
      const count = (value: number | unknown[]) => (typeof value === 'number' ? value : value.length);
      return { locked: count(stats.lockedJobs), running: count(stats.runningJobs), queued: count(stats.queuedJobs) };
    },
    dispatchJobs,
    async repair({ restart }) {
      const repairs: Repair[] = [];
      const now = Date.now();
      const stored = await dispatchJobs();
      const missing = slotNames.filter((name) => !stored.some((job) => job.name === name));
      for (const name of missing) await createDispatchJob(name);
      if (missing.length > 0) repairs.push({ action: 'recreated-dispatch-job', jobs: missing.map((name) => ({ name })) });

      const stale = stored.filter((job) => job.lockedAt && now - +job.lockedAt > settings.lockLifetimeMs);
      if (stale.length > 0) {
        // Only a lock still as old as it was read: one renewed meanwhile belongs to a live run.
        for (const job of stale) await jobs.updateOne({ _id: new ObjectId(job.id), lockedAt: job.lockedAt }, { $set: { lockedAt: null } });
        repairs.push({ action: 'cleared-stale-lock', jobs: stale.map(({ name, id }) => ({ name, id })) });
      }
      // A recurring job without a next run time (Agenda nulls it when it cannot compute one) never runs again.
      const lost = stored.filter((job) => !job.nextRunAt);
      if (lost.length > 0) {
        await jobs.updateMany({ name: { $in: lost.map((job) => job.name) }, nextRunAt: null }, { $set: { nextRunAt: new Date() } });
        repairs.push({ action: 'restored-next-run', jobs: lost.map(({ name, id }) => ({ name, id })) });
      }
      const disabled = stored.filter((job) => job.disabled);
      if (disabled.length > 0) {
        await jobs.updateMany({ name: { $in: disabled.map((job) => job.name) } }, { $set: { disabled: false } });
        repairs.push({ action: 're-enabled', jobs: disabled.map(({ name, id }) => ({ name, id })) });
      }
      if (restart && !stopping.signal.aborted) {
        const { lockedJobs } = await agenda.getRunningStats(true);
        const held = (Array.isArray(lockedJobs) ? lockedJobs : []).map((job) => ({ name: String(job.name), id: String(job._id) }));
        restarting ??= (async () => {
          // stop() forgets the processor's locks and releases those not running; a run under way finishes on its own.
          await agenda.stop(false);
          if (!stopping.signal.aborted) await agenda.start();
        })().finally(() => {
          restarting = null;
        });
        await restarting;
        // The jobs it held locked when it was restarted (none: it had simply stopped taking any).
        repairs.push({ action: 'restarted-processing', jobs: held });
      }
      return repairs;
    },
  };
  return {
    health,
    async stop(drainTimeoutMs = settings.dispatchSliceMs + 5_000) {
      const deadline = Date.now() + drainTimeoutMs;
      stopping.abort();
      engine.shutdown();
      await restarting?.catch(() => {});
      // The slices stop claiming at once (a claim under way ends first); then the checks they started finish,
      // their results are written and their leases released, within what is left of the drain time.
      const drained = await agenda.drain(drainTimeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        engine.settled().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())))),
      ]).finally(() => clearTimeout(timer));
      if (drained.timedOut || !settled) {
        logger.warn('scheduler drain timed out: checks still running are abandoned; their services are checked again when their lease runs out', {
          process: processId,
          runsLeft: drained.running,
          checksLeft: engine.busy,
          timeoutMs: drainTimeoutMs,
        });
      }
      await agenda.stop(false);
    },
  };
}

/**
 * The root cause of "canceled, execution took more than 30000ms" and scheduled checks stopping for good
 * (Agenda 6.2, @agendajs/mongo-backend 4.0): a lock's time (`lockedAt`) is the time the lock query was
 * *sent* (MongoJobRepository.getNextJobToRun stamps `new Date()` on the client). When the reply arrives
 * after the lock lifetime (the database paused, or this process's event loop frozen with the reply
 * in its socket), JobProcessor.jobProcessing finds the job already expired and drops it without taking
 * it off its `lockedJobs` list: one of this process's lock slots (`lockLimit`) is gone for good. After
 * `lockLimit` such stalls (two, here) Agenda never locks a job again, while everything else looks fine.
 *
 * The fix at the source: a lock whose reply comes late is stamped again, on arrival, if it is still
 * ours (same `lockedAt`); if another process took it meanwhile, the lock is reported as not found.
 */
export function stampLocksOnArrival(backend: MongoBackend, jobs: Collection, settings: Pick<SchedulerSettings, 'processEveryMs' | 'lockLifetimeMs'>, logger: Logger): void {
  const repository = backend.repository as { getNextJobToRun: (...args: any[]) => Promise<JobParameters | undefined> };
  const getNextJobToRun = repository.getNextJobToRun.bind(repository);
  // Late enough that the job could expire before Agenda starts it: anything past a processing round.
  const lateAfterMs = Math.min(settings.processEveryMs, settings.lockLifetimeMs / 4);
  repository.getNextJobToRun = async (...args: unknown[]) => {
    let job = await getNextJobToRun(...args);
    for (let attempt = 0; job?.lockedAt && Date.now() - +job.lockedAt > lateAfterMs; attempt++) {
      if (attempt === 3) return undefined; // still stalling: leave the lock to expire and be taken again
      const lockedAt = new Date();
      const { matchedCount } = await jobs.updateOne({ _id: new ObjectId(String(job._id)), lockedAt: job.lockedAt }, { $set: { lockedAt } });
      logger.debug('scheduler lock arrived late, stamped again', { job: job.name, id: String(job._id), lateMs: +lockedAt - +job.lockedAt, kept: matchedCount === 1 });
      if (matchedCount !== 1) return undefined;
      job = { ...job, lockedAt };
    }
    return job;
  };
}

/** Logs an error once, then the same message at most once a minute with how many times it came meanwhile. */
function quietly(logger: Logger, message: string): (error: Error) => void {
  const seen = new Map<string, { at: number; repeats: number }>();
  return (error: Error) => {
    const reason = error.message;
    const now = Date.now();
    const last = seen.get(reason);
    if (last && now - last.at < 60_000) {
      last.repeats += 1;
      return;
    }
    if (seen.size > 100) seen.clear();
    seen.set(reason, { at: now, repeats: 0 });
    logger.warn(message, { reason, ...(last?.repeats ? { repeatedSinceLastLog: last.repeats } : {}) });
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

/**
 * Claims due services and starts their checks until the slice ends, polling briefly when nothing is due (or
 * the engine is at capacity). The slice never waits for the checks it started: the engine runs them to their
 * end, writes their results and releases their leases on its own (scheduler.stop() waits for that through
 * `engine.settled()`). So a slice ends on time, and its slot runs again at Agenda's next round, whatever its
 * last claims hold: a check hanging until its timeout no longer keeps the slot from claiming. The job's lock is
 * renewed meanwhile (a slice waiting on a slow database is alive, not dead), and a run Agenda has given up on
 * (canceled) stops claiming, so it never runs beside the run that replaces it.
 */
async function dispatchFor(
  job: Job,
  engine: CheckEngine,
  until: number,
  settings: SchedulerSettings,
  stop: AbortSignal,
  logger: Logger,
  dispatched: () => void,
): Promise<void> {
  let touching: Promise<void> | null = null;
  const renew = setInterval(() => {
    if (touching || job.getCanceledMessage()) return;
    touching = job
      .touch()
      .catch((error: Error) => logger.debug('renewing a dispatch lock failed', { job: job.attrs.name, reason: error.message }))
      .finally(() => (touching = null));
  }, Math.max(1_000, settings.lockLifetimeMs / 3));
  const began = Date.now();
  let claimed = 0;
  try {
    while (Date.now() < until && !stop.aborted && !job.getCanceledMessage()) {
      const count = await engine.startDue().then(
        (n) => {
          dispatched();
          return n;
        },
        (error: Error) => {
          logger.error('dispatching checks failed', { reason: error.message, job: job.attrs.name });
          return 0;
        },
      );
      claimed += count;
      if (count === 0) await wait(settings.idlePollMs);
    }
    logger.debug('dispatch slice ended', { job: job.attrs.name, ms: Date.now() - began, claimed, checksUnderWay: engine.busy });
  } finally {
    clearInterval(renew);
    // A renewal still on its way must land before Agenda's own unlock at the end of the run, not after it.
    await touching;
  }
}

const wait = (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(-1), ms));
