import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { settings } from '../../src/config/config.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));

describe('README stays true', () => {
  test.each(Object.values(settings).map((s) => [s.env, s] as const))('documents %s with its default and meaning', (_env, s) => {
    const defaultCell = s.default === undefined ? '(unset)' : `\`${s.default}\``;
    expect(readme).toContain(`| \`${s.env}\` | ${defaultCell} | ${s.description} |`);
  });

  test('lists no setting the code does not read', () => {
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(settings).map((s) => s.env).sort());
  });

  test('its commands are npm scripts that exist, and CI runs the test command it gives', () => {
    for (const script of ['setup', 'test', 'start', 'migrate-config']) {
      expect(readme).toContain(`npm ${script === 'test' || script === 'start' ? '' : 'run '}${script}`);
      expect(packageJson.scripts[script]).toBeTruthy();
    }
    const ci = readFileSync(join(import.meta.dirname, '..', '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm run setup$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
