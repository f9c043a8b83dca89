/** Every GraphQL example (subscriptions over graphql-ws) and the curl line in README.md run against the real server. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { useApiServer } from '../helpers/api.js';
import { liveClient, subscribe } from '../helpers/live-client.js';

const api = useApiServer(import.meta.filename, {}, {});
const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
const isSubscription = (example: string) => /^subscription\b/m.test(example);
const graphqlExamples = examples.filter((example) => !isSubscription(example));
const subscriptionExamples = examples.filter(isSubscription);
const curlLine = readme.split('\n').find((line) => line.startsWith('curl '))!;

describe('README examples', () => {
  test('the README has the examples this test runs', () => {
    expect(graphqlExamples.length).toBeGreaterThanOrEqual(3);
    expect(subscriptionExamples.length).toBeGreaterThanOrEqual(1);
    expect(curlLine).toContain('http://localhost:4000/graphql');
  });

  test.each(graphqlExamples.map((query) => [query.split('\n')[0]!, query]))('%s', async (_title, query) => {
    const response = await api.post({ query }, { authorization: `Bearer ${api.keys.admin}` });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(response.status).toBe(200);
    expect(body.data).toBeTruthy();
  });

  test.each(subscriptionExamples.map((query) => [query.split('\n')[0]!, query]))('%s (over graphql-ws)', async (_title, query) => {
    const { client, dispose } = liveClient(api.url, api.keys.viewer);
    try {
      const feed = subscribe(client, query);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(feed.error).toBeUndefined();
      expect(feed.completed).toBe(false);
    } finally {
      await dispose();
    }
  });

  test('the curl line answers with hosts', async () => {
    await api.domain.hosts.create({
      host_id: 'host_example', hostname: 'example', ip_address: '10.0.0.9', environment: 'dev', region: 'lab', ssh_config: { user: 'ubuntu' },
    });
    const command = curlLine.replace('http://localhost:4000/graphql', api.url);
    // Asynchronously: the server answering curl runs in this very process.
    const { stdout } = await promisify(execFile)('bash', ['-c', command], { env: { ...process.env, SERVICE_MONITOR_KEY: api.keys.viewer }, timeout: 15_000 });
    expect(JSON.parse(stdout)).toEqual({ data: { hosts: { totalCount: 1, edges: [{ node: { hostId: 'host_example', hostname: 'example', status: 'ACTIVE' } }] } } });
  });
});
