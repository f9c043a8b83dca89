import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Service } from '../services/service.model.js';
import { failed, failureKindOf, succeeded, type Checker, type CheckOutcome } from './checker.js';

const MAX_BODY = 256 * 1024;
const DAY_MS = 86_400_000;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface HttpSettings {
  /** Redirects followed to the final answer (HTTP_MAX_REDIRECTS). */
  maxRedirects: number;
}

/** Where a request went, for messages: origin and path, never the query (it may carry a token). */
const shown = (url: URL) => `${url.origin}${url.pathname}`;

/**
 * GET the target, following redirects up to a limit: up when the final status is expected (any 2xx/3xx by
 * default; a status the service expects is not followed) and the body holds the expected text or JSON value. The
 * final URL is recorded when it differs. For HTTPS, the days until the certificate expires are a metric, and a
 * warning under the threshold.
 */
export class HttpChecker implements Checker {
  readonly method = 'http' as const;

  constructor(private readonly settings: HttpSettings = { maxRedirects: 5 }) {}

  async check(service: Service, _host: unknown, signal: AbortSignal): Promise<CheckOutcome> {
    const { monitoring } = service;
    let url = new URL(monitoring.target!);
    let response: HttpAnswer;
    for (let redirects = 0; ; redirects++) {
      try {
        response = await get(url, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        return failed('stopped', `HTTP request to ${shown(url)} failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, failureKindOf(error));
      }
      const code = response.res.statusCode ?? 0;
      const location = response.res.headers.location;
      if (!REDIRECTS.has(code) || !location || monitoring.expected_status?.includes(code)) break;
      if (redirects >= this.settings.maxRedirects) {
        return failed('error', `HTTP ${code} from ${shown(url)}: more than ${this.settings.maxRedirects} redirects`, 'definitive', { status_code: code });
      }
      const next = URL.canParse(location, url.href) ? new URL(location, url) : null;
      if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        return failed('error', `HTTP ${code} from ${shown(url)} redirects to ${JSON.stringify(location.slice(0, 200))}, which is not an http(s) URL`, 'definitive', { status_code: code });
      }
      url = next;
    }
    const { res, body, certificateValidTo, certificateError } = response;
    const code = res.statusCode ?? 0;
    const redirected = url.href !== new URL(monitoring.target!).href;
    const metrics = {
      custom: {
        http_status: code,
        ...(redirected ? { final_url: shown(url) } : {}),
        ...(certificateValidTo ? { tls_days_left: Math.floor((certificateValidTo - Date.now()) / DAY_MS) } : {}),
      },
    };
    // The server answers, so it is not down; but a certificate clients would refuse is an error to fix.
    if (certificateError) return failed('error', `TLS certificate not trusted: ${certificateError}`, 'definitive', { status_code: code, metrics });
    const expected = monitoring.expected_status?.length ? monitoring.expected_status.includes(code) : code >= 200 && code < 400;
    // A 5xx may pass (overload, a restart in progress); any other unexpected status is the server's answer.
    if (!expected) return failed('error', `HTTP ${code} from ${shown(url)} is not an expected status`, code >= 500 ? 'transient' : 'definitive', { status_code: code, metrics });
    const mismatch = bodyMismatch(body, monitoring.body_contains, monitoring.json_field, monitoring.json_value);
    if (mismatch) return failed('error', mismatch, 'definitive', { status_code: code, metrics });
    const daysLeft = metrics.custom.tls_days_left;
    if (daysLeft !== undefined && daysLeft < (monitoring.tls_expiry_warning_days ?? 14)) {
      return succeeded({ status: 'warning', error: `TLS certificate expires in ${daysLeft} days`, metrics });
    }
    return succeeded({ metrics });
  }
}

function bodyMismatch(body: string, contains: string | null, jsonField: string | null, jsonValue: string | null): string | null {
  if (contains && !body.includes(contains)) return `response body does not contain ${JSON.stringify(contains)}`;
  if (!jsonField) return null;
  let value: unknown;
  try {
    value = jsonField.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], JSON.parse(body));
  } catch {
    return 'response body is not JSON';
  }
  if (jsonValue !== null && String(value) !== jsonValue) return `${jsonField} is ${JSON.stringify(value)}, expected ${JSON.stringify(jsonValue)}`;
  if (jsonValue === null && (value === undefined || value === null)) return `${jsonField} is missing`;
  return null;
}

interface HttpAnswer {
  res: IncomingMessage;
  body: string;
  certificateValidTo: number | null;
  /** Why a client verifying the certificate would refuse it (self-signed, expired, wrong name); null when trusted. */
  certificateError: string | null;
}

function get(url: URL, signal: AbortSignal): Promise<HttpAnswer> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // Verified by hand below (socket.authorized) so an untrusted certificate is reported, not mistaken for a dead server.
    const tls = url.protocol === 'https:' ? { rejectUnauthorized: false } : {};
    const req = request(url, { method: 'GET', signal, ...tls, headers: { 'user-agent': 'service-monitor', accept: '*/*' } }, (res) => {
      const socket = res.socket as TLSSocket;
      const certificate = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null;
      const certificateValidTo = certificate?.valid_to ? Date.parse(certificate.valid_to) : null;
      const certificateError = url.protocol === 'https:' && !socket.authorized ? String(socket.authorizationError ?? 'unverified') : null;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => resolve({ res, body, certificateValidTo, certificateError }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
