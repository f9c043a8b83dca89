import cliProgress from 'cli-progress';
import type { ImportProgress, ProgressListener } from '../modules/migration/config-import.js';

/** Seconds between progress lines when stderr is not a terminal (a log, a pipe, CI). */
export const PROGRESS_LINE_EVERY_MS = 5_000;

const PHASE_WORDS: Record<ImportProgress['phase'], string> = { validating: 'checking targets', hosts: 'writing hosts', services: 'writing services' };

export interface ProgressReporter {
  listener: ProgressListener;
  stop(): void;
}

/** On a terminal a progress bar per phase (cli-progress); otherwise a line every few seconds, and each phase's end. */
export function progressReporter(stream: NodeJS.WriteStream, prefix: string, now: () => number = Date.now): ProgressReporter {
  return stream.isTTY ? barReporter(stream) : lineReporter((line) => stream.write(`${prefix}: ${line}\n`), now);
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar({ stream, format: '{phase} [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  let phase: ImportProgress['phase'] | null = null;
  return {
    listener(progress) {
      if (progress.phase !== phase) {
        if (phase) bar.stop();
        phase = progress.phase;
        bar.start(progress.total, progress.done, { phase: PHASE_WORDS[phase] });
      } else {
        bar.update(progress.done);
      }
    },
    stop: () => {
      if (phase) bar.stop();
    },
  };
}

/** Exported for tests: lines to `write`, at most one per PROGRESS_LINE_EVERY_MS but always a phase's last. */
export function lineReporter(write: (line: string) => void, now: () => number = Date.now): ProgressReporter {
  const started = now();
  let last = started;
  return {
    listener({ phase, done, total }) {
      const finished = done >= total;
      if (!finished && now() - last < PROGRESS_LINE_EVERY_MS) return;
      last = now();
      write(`${PHASE_WORDS[phase]}: ${done} of ${total}${finished ? ', done' : ''} (${((last - started) / 1000).toFixed(1)} s)`);
    },
    stop: () => {},
  };
}
