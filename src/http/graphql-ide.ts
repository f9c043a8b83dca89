import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type express from 'express';

const ASSETS = '/graphql-ide';
const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** Starts GraphiQL against this server's /graphql (queries and mutations over HTTP), with a header template for the key. */
const START = `(function start() {
  const fetcher = GraphiQL.createFetcher({ url: \`\${window.location.origin}/graphql\` });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultEditorToolsVisibility: 'headers',
      defaultHeaders: '{\\n  "Authorization": "Bearer <your API key>"\\n}',
      shouldPersistHeaders: true,
      defaultQuery: '# Put your API key in Headers below, then run this.\\n{\\n  dashboardSummary {\\n    totalServices\\n  }\\n}\\n',
    }),
  );
})();
`;

const PAGE_CSS = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
#key-help { padding: 0.5em 1em; font-size: 0.875rem; background: #fff8e1; color: #3e2f00; border-bottom: 1px solid #e0c97a; }
#key-help code { background: rgba(0, 0, 0, 0.06); padding: 0 0.25em; border-radius: 3px; }
#graphiql { flex: 1; min-height: 0; }
@media (prefers-color-scheme: dark) {
  #key-help { background: #2b2500; color: #f5e6b0; border-bottom-color: #5c4d12; }
}
`;

/** GraphiQL and React as their packages ship them (UMD builds): served from here, so the IDE works offline. */
const files: Record<string, { path: string; type: string } | { text: string; type: string }> = {
  'react.js': { path: join(packageDir('react'), 'umd', 'react.production.min.js'), type: 'text/javascript' },
  'react-dom.js': { path: join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'), type: 'text/javascript' },
  'graphiql.js': { path: join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript' },
  'graphiql.css': { path: join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css' },
  'start.js': { text: START, type: 'text/javascript' },
  'page.css': { text: PAGE_CSS, type: 'text/css' },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>service-monitor GraphQL</title>
<link rel="stylesheet" href="${ASSETS}/graphiql.css">
<link rel="stylesheet" href="${ASSETS}/page.css">
</head>
<body>
<header id="key-help">
  Every request needs an API key. Open <strong>Headers</strong> (below the query) and send
  <code>{"Authorization": "Bearer smk_…"}</code>; the first admin key is printed when the server first starts
  (or written to <code>ADMIN_KEY_FILE</code>). Headers stay in this browser only. Subscriptions need a graphql-ws client
  (<code>ws://…/graphql</code>, key in <code>connection_init</code>).
</header>
<main id="graphiql">Loading the GraphQL IDE…</main>
<script src="${ASSETS}/react.js"></script>
<script src="${ASSETS}/react-dom.js"></script>
<script src="${ASSETS}/graphiql.js"></script>
<script src="${ASSETS}/start.js"></script>
</body>
</html>
`;

/** Nothing but this origin: no CDN, no telemetry, no inline script. */
const POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

/**
 * `GET /graphql` from a browser (it accepts HTML and sends no query) gets GraphiQL; every file it loads comes from
 * `/graphql-ide/`. GET queries (`?query=`) and every other client still reach the API.
 */
export function serveGraphqlIde(app: express.Express): void {
  app.get('/graphql', (req, res, next) => {
    if (req.query.query !== undefined || !req.accepts(['application/json', 'text/html']) || req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
    res.set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': POLICY, 'cache-control': 'no-cache' }).send(PAGE);
  });
  const cache = new Map<string, Buffer>();
  app.get(`${ASSETS}/:file`, (req, res) => {
    const file = files[req.params.file];
    if (!file) {
      res.status(404).type('text/plain').send('No such file.\n');
      return;
    }
    if (!cache.has(req.params.file)) cache.set(req.params.file, 'text' in file ? Buffer.from(file.text) : readFileSync(file.path));
    res.set({ 'content-type': `${file.type}; charset=utf-8`, 'cache-control': 'public, max-age=3600', 'content-security-policy': POLICY }).send(cache.get(req.params.file));
  });
}
