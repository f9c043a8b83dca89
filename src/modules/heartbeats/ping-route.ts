import express, { type Request, type Response, type Router } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { CheckEngine } from '../checks/engine.js';
import { tokenHash, type HeartbeatService, type PingSignal } from './heartbeat.service.js';

/** Pings one URL may send a minute (per process): a job pings once or twice a run. */
export const PINGS_PER_MINUTE = 60;
/**
 * A ping not stored within this long is answered 503 (a paused or unreachable database held it 40 s and more):
 * the job's own timeout would otherwise end it with no word. It may still be stored; a repeated ping is harmless.
 */
export const PING_STORE_TIMEOUT_MS = 10_000;
/** A ping's body (the job's output) may be this large; more is refused with 413. */
const PING_BODY_LIMIT = '100kb';

/**
 * The URLs jobs ping, without an API key (the token in the path is the credential), on every API process:
 *
 *   /ping/<token>          the run succeeded           /ping/<token>/start   a run began
 *   /ping/<token>/fail     the run failed              /ping/<token>/<0-255> the run ended with this exit code
 *
 * GET, HEAD or POST; a POST body is the job's output, or its exit code when it is only a number
 * (`curl --data "$?" ...`). The ping is stored before the answer (200), then the service is checked at once.
 */
export function pingRoutes(heartbeats: HeartbeatService, engine: CheckEngine, logger: Logger): Router {
  const router = express.Router();
  const limiter = new RateLimiterMemory({ points: PINGS_PER_MINUTE, duration: 60 });
  router.all('/ping/:token{/:signal}', express.text({ type: () => true, limit: PING_BODY_LIMIT }), async (req: Request, res: Response) => {
    res.set({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    if (!['GET', 'HEAD', 'POST'].includes(req.method)) return void res.status(405).set('allow', 'GET, HEAD, POST').send('use GET, HEAD or POST\n');
    const signal = signalOf(req.params.signal as string | undefined, typeof req.body === 'string' ? req.body : '');
    if (!signal) return void res.status(404).send('not found: ping /ping/<token>, /start, /fail or /<exit code 0-255>\n');
    const token = String(req.params.token);
    try {
      await limiter.consume(tokenHash(token));
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return void res.status(429).set('retry-after', String(Math.ceil(refusal.msBeforeNext / 1000))).send(`too many pings: at most ${PINGS_PER_MINUTE} a minute\n`);
    }
    const serviceId = await withinMs(heartbeats.record(token, signal), PING_STORE_TIMEOUT_MS);
    if (serviceId === TIMED_OUT) return void res.status(503).set('retry-after', '30').send('the ping could not be stored in time (database unavailable); try again\n');
    if (!serviceId) return void res.status(404).send('not found: no heartbeat service has this ping URL\n');
    res.send('OK\n');
    engine.checkAfterSignal(serviceId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return;
      logger.warn('heartbeat check after a ping failed', { service_id: serviceId, reason: error instanceof Error ? error.message : String(error) });
    });
  });
  return router;
}

const TIMED_OUT = Symbol('timed out');

function withinMs<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** What the path and body say; null for a path that is not a ping. */
export function signalOf(pathSignal: string | undefined, body: string): PingSignal | null {
  const output = body.trim() === '' ? null : body;
  const bodyCode = output !== null ? exitCodeOf(output.trim()) : null;
  if (pathSignal === undefined) return bodyCode !== null ? ended(bodyCode, null) : { kind: 'success', exitCode: null, output };
  if (pathSignal === 'start') return { kind: 'start' };
  if (pathSignal === 'fail') return { kind: 'fail', exitCode: bodyCode, output: bodyCode === null ? output : null };
  const pathCode = exitCodeOf(pathSignal);
  return pathCode === null ? null : ended(pathCode, output);
}

function ended(exitCode: number, output: string | null): PingSignal {
  return { kind: exitCode === 0 ? 'success' : 'fail', exitCode, output };
}

function exitCodeOf(text: string): number | null {
  if (!/^\d{1,3}$/.test(text)) return null;
  const code = Number(text);
  return code <= 255 ? code : null;
}
