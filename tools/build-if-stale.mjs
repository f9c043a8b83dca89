#!/usr/bin/env node
/**
 * Compiles dist/ only when it is missing or older than what it is built from, so `npm start` after a build
 * starts at once instead of compiling again (7 s on an idle machine, half a minute on a busy one).
 *
 * Fresh: dist/.build-stamp, written after a compilation without errors, is newer than every .ts file under
 * src/, the tsconfigs, package.json and package-lock.json, and every source has its .js. Any change rebuilds
 * everything: one file's change can change what another compiles to (decorator metadata names the types it
 * imports). The stamp, not the outputs' times: tsc writes its output even when type checking fails, and such
 * a build must not pass for fresh. `npm run build` alone writes no stamp; the next start compiles once more.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map((name) => join(root, name));

const modified = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
};

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Why dist/ must be compiled again, or null when it is fresh. */
function staleness() {
  // An image or package with dist/ alone (no src/): there is nothing to compile from.
  if (modified(join(root, 'src')) === null) return null;
  const stamped = modified(stamp);
  if (stamped === null) return 'not compiled by `npm start` yet';
  for (const source of sources(join(root, 'src'))) {
    if (modified(source) > stamped) return `${relative(root, source)} changed`;
    if (modified(join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js')) === null) return `the output of ${relative(root, source)} is missing`;
  }
  const input = inputs.find((path) => (modified(path) ?? 0) > stamped);
  return input ? `${relative(root, input)} changed` : null;
}

function compile() {
  const startedAt = new Date();
  rmSync(stamp, { force: true });
  const run = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) return run.status ?? 1;
  // The time compilation started: a file saved while it ran is newer, and compiles next time.
  writeFileSync(stamp, '');
  utimesSync(stamp, startedAt, startedAt);
  return 0;
}

const reason = staleness();
if (reason) {
  process.stderr.write(`compiling dist/ (${reason})\n`);
  process.exit(compile());
}
