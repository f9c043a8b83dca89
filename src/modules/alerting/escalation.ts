import type { EscalationPolicy } from './escalation-policy.model.js';

/** A step that is due: which one (`step-<i>`, or `step-<last>-repeat-<k>`), and its channel names. */
export interface DueStep {
  occurrence: string;
  index: number;
  channels: string[];
  at: Date;
}

const MINUTE = 60_000;
/** At most this many repeats are considered (a month of 5-minute repeats); none is sent twice anyway. */
const MAX_REPEATS = 10_000;

/**
 * The steps of `policy` due for an incident opened at `openedAt`, unacknowledged at `now`: every step whose time
 * has come, and the repeats of the last one. Each has a stable occurrence name, so queuing a step again (another
 * sweep, another process) adds nothing; only the latest repeat is returned (missed repeats are not made up).
 */
export function dueSteps(policy: Pick<EscalationPolicy, 'steps' | 'repeat_every_minutes'>, openedAt: Date, now: Date): DueStep[] {
  const steps = [...policy.steps].sort((a, b) => a.after_minutes - b.after_minutes);
  const elapsed = +now - +openedAt;
  const due: DueStep[] = [];
  steps.forEach((step, index) => {
    if (step.after_minutes * MINUTE <= elapsed) due.push({ occurrence: `step-${index}`, index, channels: step.channels, at: new Date(+openedAt + step.after_minutes * MINUTE) });
  });
  const last = steps.at(-1);
  if (last && policy.repeat_every_minutes && due.length === steps.length) {
    const sinceLast = elapsed - last.after_minutes * MINUTE;
    const repeats = Math.min(MAX_REPEATS, Math.floor(sinceLast / (policy.repeat_every_minutes * MINUTE)));
    if (repeats >= 1) {
      const index = steps.length - 1;
      due.push({ occurrence: `step-${index}-repeat-${repeats}`, index, channels: last.channels, at: new Date(+openedAt + last.after_minutes * MINUTE + repeats * policy.repeat_every_minutes * MINUTE) });
    }
  }
  return due;
}
