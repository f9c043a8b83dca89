/**
 * Computed status pages, kept per environment for a minute, so a flood of anonymous requests costs one
 * computation a minute however many arrive: requests while one is computed wait for that one, and a page older
 * than a minute is still served (for up to STALE_MS) while a fresh one is computed behind it. Whether the page is
 * public is decided with it, so a not-public environment costs the database one read a minute too; a write to an
 * environment through this process (turning a page on or off) is seen by the next request.
 */
import { createHash } from 'node:crypto';
import { ENVIRONMENTS, type EnvironmentName } from '../../common/enums.js';
import type { Logger } from '../../common/logger.js';
import type { EnvironmentService } from '../environments/environment.service.js';
import { DailyUptime } from './daily-uptime.js';
import { buildStatusPage, type StatusPage } from './status-page.js';
import { renderStatusPageHtml } from './status-page-html.js';

/** How long a computed page is served as it is (Cache-Control max-age says the same to other caches). */
export const STATUS_PAGE_FRESH_MS = 60_000;
/** How long past that an old page is still served while a new one is computed (if computing fails, it is not). */
const STALE_MS = 10 * 60_000;

export interface RenderedBody {
  body: string;
  etag: string;
}

export interface RenderedStatusPage {
  page: StatusPage;
  html: RenderedBody;
  json: RenderedBody;
}

interface Entry {
  /** EnvironmentService.revision when computing began. */
  revision: number;
  computedAt: number;
  /** Null: no such environment, or its page is not public. */
  rendered: RenderedStatusPage | null;
}

export const isEnvironmentName = (name: string): name is EnvironmentName => (ENVIRONMENTS as readonly string[]).includes(name);

export class StatusPages {
  private readonly entries = new Map<EnvironmentName, Entry>();
  private readonly computing = new Map<EnvironmentName, Promise<Entry>>();

  constructor(
    private readonly environments: Pick<EnvironmentService, 'get' | 'revision'>,
    private readonly logger: Logger,
    private readonly uptime = new DailyUptime(),
    private readonly clock: () => number = Date.now,
  ) {}

  /** The page of the environment named `name`, or null when there is none to show (unknown name, not public). */
  async get(name: string): Promise<RenderedStatusPage | null> {
    if (!isEnvironmentName(name)) return null;
    const entry = this.entries.get(name);
    if (entry && entry.revision === this.environments.revision) {
      const age = this.clock() - entry.computedAt;
      if (age < STATUS_PAGE_FRESH_MS) return entry.rendered;
      if (age < STATUS_PAGE_FRESH_MS + STALE_MS) {
        this.compute(name).catch((error: unknown) => this.logger.warn('status page: refreshing failed; the previous one is served meanwhile', { environment: name, reason: reasonOf(error) }));
        return entry.rendered;
      }
    }
    return (await this.compute(name)).rendered;
  }

  /** One computation per environment at a time; whoever asks meanwhile gets its result. */
  private compute(name: EnvironmentName): Promise<Entry> {
    let running = this.computing.get(name);
    if (!running) {
      running = this.computeNow(name).finally(() => this.computing.delete(name));
      this.computing.set(name, running);
    }
    return running;
  }

  private async computeNow(name: EnvironmentName): Promise<Entry> {
    const revision = this.environments.revision;
    const previous = this.entries.get(name);
    // Written since: its settings or its services' data may be other than what the kept days were summed for.
    if (previous && previous.revision !== revision) this.uptime.forget(name);
    const started = this.clock();
    const environment = await this.environments.get(name);
    let rendered: RenderedStatusPage | null = null;
    if (environment?.status_page?.public) {
      const page = await buildStatusPage(environment, this.uptime, started);
      rendered = { page, html: withEtag(renderStatusPageHtml(page)), json: withEtag(`${JSON.stringify(page)}\n`) };
      const ms = this.clock() - started;
      if (ms > 5_000) this.logger.warn('status page: computing took long', { environment: name, ms, services: page.groups.reduce((n, g) => n + g.services.length, 0) });
    } else {
      this.uptime.forget(name);
    }
    const entry: Entry = { revision, computedAt: started, rendered };
    this.entries.set(name, entry);
    return entry;
  }
}

function withEtag(body: string): RenderedBody {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
