/**
 * tools/build-if-stale.mjs, which `npm start` runs first: it compiles only when dist/ is missing or older
 * than its sources, and a failed compilation never passes for fresh. Run on a small project of its own,
 * whose "build" script records each run, so the real dist/ is left alone.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const project = mkdtempSync(join(tmpdir(), 'service-monitor-build-if-stale-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

mkdirSync(join(project, 'tools'));
copyFileSync(join(import.meta.dirname, '..', '..', 'tools', 'build-if-stale.mjs'), join(project, 'tools', 'build-if-stale.mjs'));
mkdirSync(join(project, 'src', 'db'), { recursive: true });
writeFileSync(join(project, 'src', 'main.ts'), '');
writeFileSync(join(project, 'src', 'db', 'connection.ts'), '');
// The build writes every output and counts its runs; FAIL makes it fail after writing them, as tsc does on a type error.
const build = `node -e "const fs=require('fs');for(const f of ['main','db/connection']){fs.mkdirSync('dist/src/db',{recursive:true});fs.writeFileSync('dist/src/'+f+'.js','')}fs.appendFileSync('builds','x');process.exit(fs.existsSync('FAIL')?2:0)"`;
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { build } }));

function start() {
  const run = spawnSync(process.execPath, [join(project, 'tools', 'build-if-stale.mjs')], { cwd: project, encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}
const builds = () => (existsSync(join(project, 'builds')) ? readFileSync(join(project, 'builds'), 'utf8').length : 0);
const PROJECT_FILES = ['src/main.ts', 'src/db/connection.ts', 'package.json', 'dist/src/main.js', 'dist/src/db/connection.js', 'dist/.build-stamp'];
/** Every file a minute old, so that what a test writes next is newer than the last compilation. */
const ageEverything = () => {
  const minuteAgo = new Date(Date.now() - 60_000);
  for (const path of PROJECT_FILES) if (existsSync(join(project, path))) utimesSync(join(project, path), minuteAgo, minuteAgo);
};
const touch = (path: string) => {
  const now = new Date();
  utimesSync(join(project, path), now, now);
};

describe('build-if-stale', () => {
  test('compiles the first time, then not again while nothing changed', () => {
    expect(start()).toEqual({ status: 0, stderr: 'compiling dist/ (not compiled by `npm start` yet)\n' });
    expect(builds()).toBe(1);
    expect(start()).toEqual({ status: 0, stderr: '' });
    expect(builds()).toBe(1);
  });

  test('a changed source, a changed tsconfig, or a missing output compiles again', () => {
    ageEverything();
    touch('src/db/connection.ts');
    expect(start().stderr).toBe('compiling dist/ (src/db/connection.ts changed)\n');
    expect(builds()).toBe(2);

    ageEverything();
    writeFileSync(join(project, 'tsconfig.json'), '{}');
    expect(start().stderr).toBe('compiling dist/ (tsconfig.json changed)\n');
    expect(builds()).toBe(3);

    rmSync(join(project, 'dist', 'src', 'main.js'));
    expect(start().stderr).toBe('compiling dist/ (the output of src/main.ts is missing)\n');
    expect(builds()).toBe(4);
    expect(start().stderr).toBe('');
    expect(builds()).toBe(4);
  });

  test('a failed compilation fails the start, and the next start compiles again though the outputs are new', () => {
    ageEverything();
    writeFileSync(join(project, 'FAIL'), '');
    touch('src/main.ts');
    expect(start().status).toBe(2);
    rmSync(join(project, 'FAIL'));
    expect(start()).toEqual({ status: 0, stderr: 'compiling dist/ (not compiled by `npm start` yet)\n' });
    expect(builds()).toBe(6);
  });
});
