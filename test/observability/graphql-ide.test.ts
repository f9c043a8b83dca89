/** The GraphQL IDE at GET /graphql: self-hosted (every file from this server), explained, and out of the API's way. */
import { Script } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename, {}, undefined, {}, { ide: true });
const origin = () => new URL(api.url).origin;
const asBrowser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('GraphQL IDE', () => {
  test('a browser gets GraphiQL whose every script and style comes from this server, with how to send the key', async () => {
    const response = await fetch(`${origin()}/graphql`, { headers: asBrowser });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const page = await response.text();
    expect(page).toMatch(/Authorization.*Bearer/);
    expect(page).not.toMatch(/https?:\/\//);
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(['/graphql-ide/graphiql.css', '/graphql-ide/page.css', '/graphql-ide/react.js', '/graphql-ide/react-dom.js', '/graphql-ide/graphiql.js', '/graphql-ide/start.js']);
    for (const asset of assets) {
      const file = await fetch(`${origin()}${asset}`);
      expect(file.status, asset).toBe(200);
      expect(file.headers.get('content-type'), asset).toMatch(asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      const text = await file.text();
      if (asset.endsWith('.js')) expect(() => new Script(text, { filename: asset }), `${asset} parses`).not.toThrow();
    }
    expect(await (await fetch(`${origin()}/graphql-ide/start.js`)).text()).toMatch(/createFetcher\(\{ url: `\$\{window\.location\.origin\}\/graphql` \}\)/);
  });

  test('API clients are untouched: a GET query and a POST still need a key and get GraphQL', async () => {
    const get = await fetch(`${origin()}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { ...asBrowser, authorization: `Bearer ${api.keys.viewer}` } });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const noKey = await fetch(`${origin()}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(noKey.status).toBe(401);
    const json = await fetch(`${origin()}/graphql`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).not.toMatch(/text\/html/);
  });

  test('an unknown IDE file is 404', async () => {
    expect((await fetch(`${origin()}/graphql-ide/../../package.json`)).status).toBe(404);
    expect((await fetch(`${origin()}/graphql-ide/nothing.js`)).status).toBe(404);
  });
});
