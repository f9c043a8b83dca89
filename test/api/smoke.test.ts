import { describe, expect, test } from 'vitest';
import { CreateHostDocument, HostsDocument, ViewerDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

describe('API smoke', () => {
  test('a viewer key reads, an admin key writes', async () => {
    expect(await api.data(ViewerDocument, {}, { as: 'viewer' })).toEqual({ viewer: { keyId: expect.any(String), role: 'VIEWER' } });
    await api.data(CreateHostDocument, {
      input: { hostId: 'h1', hostname: 'web-1', ipAddress: '10.0.0.1', environment: 'PRODUCTION', region: 'eu', sshConfig: { user: 'ubuntu' } },
    });
    const { hosts } = await api.data(HostsDocument, {}, { as: 'viewer' });
    expect(hosts.totalCount).toBe(1);
    expect(hosts.edges[0]!.node).toMatchObject({ hostId: 'h1', sshConfig: { port: 22, useSudo: false }, sshKeyConfigured: false });
  });
});
