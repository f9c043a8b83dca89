/** The committed schema and generated operation types must match the code; regenerate with `npm run schema && npm run codegen`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { describe, expect, test } from 'vitest';
import { buildApiSchema, printApiSchema } from '../../src/graphql/schema.js';

const root = join(import.meta.dirname, '..', '..');

describe('generated files are up to date', () => {
  test('schema/schema.graphql is what the code declares (run `npm run schema` after changing the API)', async () => {
    const committed = readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8');
    expect(printApiSchema(await buildApiSchema())).toBe(committed);
  });

  test('test/graphql/generated.ts is what codegen makes of the schema and operations (run `npm run codegen`)', async () => {
    const { config } = await loadCodegenConfig({ configFilePath: join(root, 'codegen.yml') });
    const outputs = await generate({ ...config, cwd: root, silent: true }, false);
    const generated = outputs.find((o: { filename: string }) => o.filename.endsWith('generated.ts'));
    expect(generated, 'codegen produced test/graphql/generated.ts').toBeTruthy();
    expect(generated!.content).toBe(readFileSync(join(root, 'test', 'graphql', 'generated.ts'), 'utf8'));
  }, 60_000);
});
