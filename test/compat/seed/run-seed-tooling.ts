/** Runs test/compat/seed/seed_tooling.py: the seed's own Python code (pymongo) against a test database. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
export const seedMarkdown = join(root, '..', 'shared', 'seed', 'service-monitoring-schema.md');
const python = join(root, '.venv-seed', 'bin', 'python');

export type SeedMode = 'write' | 'read' | 'mixed';

/**
 * Why the tests that run the seed's tooling are skipped here, or null to run them. The seed document lives beside
 * this repository (../shared/seed/), which a clone outside that layout lacks: those tests are skipped, saying so on
 * stderr. Not under CI (CI set, e.g. CI=true): there the layout is a given, so they run and fail, naming the file.
 */
export function seedSkipReason(testFile: string): string | null {
  if (existsSync(seedMarkdown) || isCi()) return null;
  const reason = `${seedMarkdown} is missing (the seed document is expected at ../shared/seed/ beside this repository); under CI=true this fails`;
  process.stderr.write(`skipped: ${basename(testFile)}: ${reason}\n`);
  return reason;
}

const isCi = () => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

export function runSeedTooling(database: { uri: string; name: string }, mode: SeedMode): any {
  for (const [path, fix] of [
    [seedMarkdown, 'the seed document is expected at ../shared/seed/'],
    [python, 'run `npm run setup` (it creates .venv-seed with pymongo)'],
  ]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${fix}`);
  }
  const workdir = mkdtempSync(join(tmpdir(), 'seed-tooling-'));
  try {
    const run = spawnSync(python, [join(import.meta.dirname, 'seed_tooling.py'), seedMarkdown, database.uri, database.name, mode, workdir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (run.status !== 0) throw new Error(`seed tooling (${mode}) failed:\n${run.stderr}`);
    return JSON.parse(run.stdout);
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}
