/** Config as code through the API (issue 13 part 4): exportInventory and applyInventory, admin only. */
import { expect, test } from 'vitest';
import { ApplyInventoryDocument, CreateHostDocument, ExportInventoryDocument } from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

test('export, apply back with nothing to change, a dry run of a change; viewers and operators may not', async () => {
  await api.data(CreateHostDocument, { input: { hostId: 'host_a', hostname: 'a', ipAddress: '10.80.0.1', environment: 'DEV', region: 'lab', sshConfig: { user: 'ops', keyPath: '/secret/id' } } });
  const { exportInventory } = await api.data(ExportInventoryDocument, { format: 'JSON' });
  expect(exportInventory).not.toContain('/secret/id');
  expect(JSON.parse(exportInventory).hosts).toEqual([expect.objectContaining({ host_id: 'host_a', ssh_config: expect.objectContaining({ key_path: '***' }) })]);
  expect((await api.data(ApplyInventoryDocument, { document: exportInventory, prune: true })).applyInventory.changes).toEqual([]);

  const changed = exportInventory.replace('"region": "lab"', '"region": "edge"');
  const dry = (await api.data(ApplyInventoryDocument, { document: changed, dryRun: true })).applyInventory;
  expect(dry).toEqual({ dryRun: true, prune: false, changes: [{ kind: 'HOST', id: 'host_a', action: 'UPDATE', fields: ['region'], error: null }] });

  expectError(await api.request(ExportInventoryDocument, {}, { as: 'operator' }), 'FORBIDDEN');
  expectError(await api.request(ApplyInventoryDocument, { document: changed }, { as: 'viewer' }), 'FORBIDDEN');
  expectBadInput(await api.request(ApplyInventoryDocument, { document: 'version: 7' }), 'version');
});
