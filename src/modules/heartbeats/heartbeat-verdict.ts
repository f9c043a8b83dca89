import { failed, succeeded, type CheckOutcome } from '../checks/checker.js';
import type { Heartbeat } from './heartbeat.model.js';

export interface HeartbeatSchedule {
  /** How often the job pings. */
  interval_sec: number;
  /** How late a ping (or the end of a started run) may be before the service is down. */
  grace_sec: number;
}

/**
 * What a heartbeat service's state says at `now`, and when it next needs a look (`next_due_at`: the moment it
 * would go down without another ping). Down (`stopped`) when no ping came within interval + grace of the last
 * one (or of the URL's issue), or a run started with /start did not finish within the grace time; `error` while
 * the last ping reported failure; `unknown` before the first ping.
 */
export function judgeHeartbeat(state: Heartbeat | null, schedule: HeartbeatSchedule, now: Date): CheckOutcome {
  const periodMs = schedule.interval_sec * 1000;
  const graceMs = schedule.grace_sec * 1000;
  const inAnInterval = new Date(+now + periodMs);
  if (!state) return { ...failed('unknown', 'no ping URL yet: issueHeartbeatUrl gives one', 'definitive'), next_due_at: inAnInterval };
  const lastPing = state.last_ping_at;
  const runUnderWay = state.started_at !== null && (lastPing === null || state.started_at > lastPing);
  if (runUnderWay) {
    const finishBy = new Date(+state.started_at! + graceMs);
    if (now >= finishBy) return { ...failed('stopped', `a run started at ${iso(state.started_at!)} and did not finish within the grace time (${schedule.grace_sec} s)`, 'definitive'), next_due_at: inAnInterval };
    return { ...lastVerdict(state, now), next_due_at: finishBy };
  }
  const expectedBy = new Date(+(lastPing ?? state.issued_at) + periodMs + graceMs);
  if (now >= expectedBy) {
    const since = lastPing ? `no ping since ${iso(lastPing)}` : `no ping since the URL was issued at ${iso(state.issued_at)}`;
    return { ...failed('stopped', `${since} (expected every ${schedule.interval_sec} s, grace ${schedule.grace_sec} s)`, 'definitive', { metrics: ageMetrics(state, now) }), next_due_at: inAnInterval };
  }
  return { ...lastVerdict(state, now), next_due_at: expectedBy };
}

/** The last ping's word, while it is still current. */
function lastVerdict(state: Heartbeat, now: Date): CheckOutcome {
  const metrics = ageMetrics(state, now);
  if (state.last_ping_at === null) return failed('unknown', 'waiting for the first ping', 'definitive', { metrics, status_code: null });
  if (state.last_ping_kind === 'fail') {
    const code = state.last_exit_code;
    const error = `the job reported failure${code !== null ? ` (exit code ${code})` : ''} at ${iso(state.last_ping_at)}`;
    return failed('error', error, 'definitive', { status_code: code ?? 1, error_details: state.last_output, metrics });
  }
  return succeeded({ metrics });
}

function ageMetrics(state: Heartbeat, now: Date): CheckOutcome['metrics'] {
  const custom: Record<string, number> = {};
  if (state.last_ping_at) custom.last_ping_age_sec = Math.round((+now - +state.last_ping_at) / 1000);
  if (state.started_at && state.last_ping_at && state.last_ping_at >= state.started_at) custom.run_duration_sec = (+state.last_ping_at - +state.started_at) / 1000;
  return { custom };
}

const iso = (date: Date) => date.toISOString();
