import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../../common/logger.js';
import type { EnvironmentService } from '../environments/environment.service.js';
import { STATUS_PAGE_FRESH_MS, StatusPages } from './status-page-cache.js';

/**
 * The public status pages, without an API key, on every API process:
 *
 *   GET /status/<environment>        the page (HTML)
 *   GET /status/<environment>.json   the same as JSON
 *
 * An environment that does not exist and one whose page is not public get the very same 404, so the pages tell
 * nobody which environments there are. Answers may be cached by anyone for a minute (as they are here).
 */
export function statusPageRoutes(environments: EnvironmentService, logger: Logger, pages = new StatusPages(environments, logger)): Router {
  const router = express.Router();
  router.get('/status/:page', async (req: Request, res: Response) => {
    const requested = String(req.params.page);
    const asJson = requested.endsWith('.json');
    const name = asJson ? requested.slice(0, -'.json'.length) : requested;
    let rendered;
    try {
      rendered = await pages.get(name);
    } catch (error) {
      logger.warn('status page: could not be computed', { reason: error instanceof Error ? error.message.split('\n')[0] : String(error) });
      return void res
        .status(503)
        .set({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '30' })
        .send('The status page cannot be shown right now; try again in a minute.\n');
    }
    res.set({
      'cache-control': `public, max-age=${STATUS_PAGE_FRESH_MS / 1000}`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      // No script and no resource from anywhere: only the page's own inline style.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    });
    if (!rendered) return void res.status(404).set('content-type', 'text/plain; charset=utf-8').send(NOT_FOUND);
    const body = asJson ? rendered.json : rendered.html;
    res.set({ 'content-type': asJson ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8', etag: body.etag });
    if (asJson) res.set('access-control-allow-origin', '*');
    if (matchesEtag(req.headers['if-none-match'], body.etag)) return void res.status(304).end();
    res.send(body.body);
  });
  return router;
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const candidate = tag.trim();
    return candidate === '*' || candidate === etag || candidate === `W/${etag}`;
  });
}

/** The one answer for every page there is not (unknown name, environment missing or not public). */
const NOT_FOUND = 'Not found: there is no public status page here.\n';
