import { promises as dns } from 'node:dns';
import { normalizeDnsValue, parseDnsTarget, type DnsQuery, type DnsRecordType } from '../../common/dns-target.js';
import type { Service } from '../services/service.model.js';
import { failed, succeeded, type Checker, type CheckOutcome } from './checker.js';

/** Answers shown in a message or stored as a metric, at most. */
const SHOWN_ANSWERS = 10;

/**
 * Resolves `monitoring.target` (`dns://resolver/name?type=MX&expect=...`, see common/dns-target.ts) and is up when
 * the name has records of the type and they include every expected value. A resolver that does not answer is
 * stopped; a wrong or missing answer is an error.
 */
export class DnsChecker implements Checker {
  readonly method = 'dns' as const;

  async check(service: Service, _host: unknown, signal: AbortSignal): Promise<CheckOutcome> {
    const query = parseDnsTarget(service.monitoring.target ?? '');
    if ('problem' in query) return failed('unknown', `monitoring.target ${query.problem}`, 'definitive');
    // One try per attempt, answered a second before the engine gives up, so a silent resolver reads as such.
    const resolver = new dns.Resolver({ timeout: Math.max(500, (service.monitoring.timeout_sec - 1) * 1000), tries: 1 });
    if (query.resolver) resolver.setServers([query.resolver]);
    const cancel = () => resolver.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const answers = await resolve(resolver, query);
      if (signal.aborted) throw signal.reason;
      return judge(query, answers);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return failedLookup(query, error as NodeJS.ErrnoException);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }
}

interface Answers {
  values: string[];
  minTtl: number | null;
}

async function resolve(resolver: dns.Resolver, { name, type }: DnsQuery): Promise<Answers> {
  switch (type) {
    case 'A':
    case 'AAAA': {
      const records = type === 'A' ? await resolver.resolve4(name, { ttl: true }) : await resolver.resolve6(name, { ttl: true });
      return { values: records.map((record) => record.address), minTtl: Math.min(...records.map((record) => record.ttl)) };
    }
    case 'MX':
      return { values: (await resolver.resolveMx(name)).map((record) => `${record.priority} ${record.exchange}`), minTtl: null };
    case 'TXT':
      return { values: (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')), minTtl: null };
    case 'CNAME':
      return { values: await resolver.resolveCname(name), minTtl: null };
    case 'NS':
      return { values: await resolver.resolveNs(name), minTtl: null };
  }
}

function judge(query: DnsQuery, answers: Answers): CheckOutcome {
  const normalized = answers.values.map((value) => normalizeDnsValue(query.type, value));
  const metrics = {
    custom: {
      answers: normalized.slice(0, SHOWN_ANSWERS).join(', '),
      answer_count: normalized.length,
      ...(answers.minTtl !== null && Number.isFinite(answers.minTtl) ? { ttl_min_sec: answers.minTtl } : {}),
    },
  };
  const missing = query.expect.filter((expected) => !normalized.some((answer) => matches(query.type, expected, answer)));
  if (missing.length > 0) {
    return failed('error', `${query.name} ${query.type}: expected ${missing.join(', ')}, got ${shown(normalized)}`, 'definitive', { metrics });
  }
  return succeeded({ metrics });
}

/** An MX expectation without a priority matches the exchange whatever its priority. */
function matches(type: DnsRecordType, expected: string, answer: string): boolean {
  if (expected === answer) return true;
  return type === 'MX' && !expected.includes(' ') && answer.split(' ')[1] === expected;
}

const shown = (values: string[]) => (values.length > SHOWN_ANSWERS ? `${values.slice(0, SHOWN_ANSWERS).join(', ')} and ${values.length - SHOWN_ANSWERS} more` : values.join(', '));

/** c-ares' codes (node:dns) as an operator reads them; whether the next attempt may fare better. */
function failedLookup(query: DnsQuery, error: NodeJS.ErrnoException): CheckOutcome {
  const asked = `${query.name} ${query.type}${query.resolver ? ` at ${query.resolver}` : ''}`;
  switch (error.code) {
    case dns.NOTFOUND:
      return failed('error', `${asked}: no such name (NXDOMAIN)`, 'definitive');
    case dns.NODATA:
      return failed('error', `${asked}: the name has no ${query.type} records`, 'definitive');
    case dns.SERVFAIL:
      return failed('error', `${asked}: the resolver failed to answer (SERVFAIL)`, 'transient');
    case dns.REFUSED:
      return failed('error', `${asked}: the resolver refused the query (REFUSED)`, 'definitive');
    case dns.TIMEOUT:
    case dns.CONNREFUSED:
      return failed('stopped', `${asked}: the resolver did not answer (${error.code})`, 'transient');
    default:
      return failed('stopped', `${asked}: ${error.code ?? error.message}`, 'transient');
  }
}
