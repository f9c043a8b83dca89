/**
 * Imports as jobs (issue 13 part 1): a config.json too large for one request (10,000 hosts: 1.05 MB, refused with 413
 * in one importConfig) sent in parts within the body limit, run once the last part is in, its progress and result
 * read through a query and a subscription (graphql-ws); what is refused, and a file that is not JSON.
 */
import { expect, test } from 'vitest';
import { AddImportPartDocument, ImportJobDocument, StartImportDocument } from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';
import { liveClient, subscribe } from '../helpers/live-client.js';
import { readUntil } from '../helpers/processes.js';

const api = useApiServer(import.meta.filename, {}, {});

const bigConfig = (hosts: number) =>
  JSON.stringify({
    targets: Array.from({ length: hosts }, (_, i) => ({ name: `node-${i}`, host: `10.60.${i >> 8}.${i & 255}`, ssh: { user: 'monitor', port: 22 }, service: 'node-exporter.service', interval_sec: 60 })),
  });

const inParts = (text: string, parts: number) => Array.from({ length: parts }, (_, i) => text.slice(Math.floor((i * text.length) / parts), Math.floor(((i + 1) * text.length) / parts)));

async function runJob(text: string, parts: number, dryRun = false) {
  const { startImport } = await api.data(StartImportDocument, { input: { environment: 'STAGING', region: 'eu-west', dryRun, parts } });
  expect(startImport).toMatchObject({ state: 'RECEIVING', partsExpected: parts, partsReceived: 0 });
  for (const [index, part] of inParts(text, parts).entries()) await api.data(AddImportPartDocument, { jobId: startImport.id, index, text: part });
  const job = await readUntil(async () => (await api.data(ImportJobDocument, { id: startImport.id })).importJob!, (j) => j.state === 'DONE' || j.state === 'FAILED', 60_000);
  return { id: startImport.id, job };
}

test('10,000 hosts in 2 parts pass the body limit one request cannot, and the summary is the import’s; a rerun is unchanged', async () => {
  const text = bigConfig(10_000);
  expect(text.length).toBeGreaterThan(1_000_000);

  const { job } = await runJob(text, 2);
  expect(job).toMatchObject({ state: 'DONE', error: null, progress: null, summary: { targets: 10_000, hosts: { created: 10_000 }, services: { created: 10_000 }, rejected: [] } });
  const again = await runJob(text, 3);
  expect(again.job.summary).toMatchObject({ hosts: { unchanged: 10_000 }, services: { unchanged: 10_000 } });
}, 120_000);

test('a subscriber sees the job move: parts in, progress, then done with its summary', async () => {
  const text = bigConfig(3_000);
  const { startImport } = await api.data(StartImportDocument, { input: { environment: 'DEV', parts: 2 } });
  const { client, dispose } = liveClient(api.url, api.keys.admin);
  try {
    const feed = subscribe<{ importJobChanged: { state: string; partsReceived: number; progress: { phase: string; done: number } | null; summary: { targets: number } | null } }>(
      client,
      'subscription($id: ID!) { importJobChanged(jobId: $id) { state partsReceived progress { phase done } summary { targets } } }',
      { id: startImport.id },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const [index, part] of inParts(text, 2).entries()) await api.data(AddImportPartDocument, { jobId: startImport.id, index, text: part });
    await readUntil(async () => feed.data.at(-1)?.importJobChanged.state, (state) => state === 'DONE', 60_000);
    const seen = feed.data.map((d) => d.importJobChanged);
    expect(seen.some((j) => j.state === 'RECEIVING' && j.partsReceived === 1)).toBe(true);
    expect(seen.some((j) => j.state === 'RUNNING' && j.progress !== null)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ state: 'DONE', summary: { targets: 3_000 } });
  } finally {
    await dispose();
  }
}, 90_000);

test('what a job refuses, naming the field; a file that is not JSON fails the job saying so', async () => {
  expectBadInput(await api.request(StartImportDocument, { input: { environment: 'DEV', parts: 0 } }), 'parts');
  expectBadInput(await api.request(StartImportDocument, { input: { environment: 'DEV', region: 'bad region;', parts: 1 } }), 'region');
  expectError(await api.request(StartImportDocument, { input: { environment: 'DEV', parts: 1 } }, { as: 'operator' }), 'FORBIDDEN');
  const { startImport } = await api.data(StartImportDocument, { input: { environment: 'DEV', parts: 1 } });
  expectBadInput(await api.request(AddImportPartDocument, { jobId: startImport.id, index: 1, text: '{}' }), 'index');
  expectError(await api.request(AddImportPartDocument, { jobId: 'nosuch', index: 0, text: '{}' }), 'NOT_FOUND');

  const { job } = await runJob('{"targets": [', 1);
  expect(job).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/^the parts joined are not JSON: /) });
  const done = await runJob(JSON.stringify({ targets: [] }), 1);
  expectError(await api.request(AddImportPartDocument, { jobId: done.id, index: 0, text: '{}' }), 'CONFLICT');
});
