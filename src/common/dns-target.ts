/**
 * What a dns check asks, written as an RFC 4501 DNS URI so it fits `monitoring.target` like every other check:
 *
 *   dns:example.org?type=MX                      the system's resolvers (/etc/resolv.conf)
 *   dns://192.0.2.53:5353/example.org?type=A     that resolver (an IP address, port 53 by default)
 *   ...&expect=10.0.0.1&expect=10.0.0.2          values every answer must include (repeatable)
 */
import { isIP } from 'node:net';
import { canonicalAddress } from './ip-address.js';

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

export interface DnsQuery {
  /** `address:port` of the resolver to ask; null: the system's. */
  readonly resolver: string | null;
  readonly name: string;
  readonly type: DnsRecordType;
  /** Values the answer must include, in the form `normalizeDnsValue` gives. */
  readonly expect: readonly string[];
}

const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
const KNOWN_PARAMETERS = new Set(['type', 'class', 'expect']);

/** The query a `dns:` target asks, or what is wrong with it (in words that never repeat the target). */
export function parseDnsTarget(target: string): DnsQuery | { problem: string } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { problem: 'is not a URL' };
  }
  if (url.protocol !== 'dns:') return { problem: 'must start with dns:' };
  const resolver = resolverOf(url);
  if (typeof resolver === 'object' && resolver) return resolver;
  const name = decodeName(url.pathname.replace(/^\//, ''));
  if (!isDnsName(name)) return { problem: 'must name a domain after the resolver (dns://192.0.2.53/example.org or dns:example.org): labels of letters, digits, - and _, at most 63 characters each and 253 in all' };
  const unknown = [...url.searchParams.keys()].find((key) => !KNOWN_PARAMETERS.has(key.toLowerCase()));
  if (unknown !== undefined) return { problem: `has an unknown parameter ${JSON.stringify(unknown.slice(0, 40))}: type, class (IN) and expect are known` };
  const type = (param(url, 'type') ?? 'A').toUpperCase();
  if (!(DNS_RECORD_TYPES as readonly string[]).includes(type)) return { problem: `asks for record type ${JSON.stringify(type.slice(0, 20))}: the dns check knows ${DNS_RECORD_TYPES.join(', ')}` };
  const dnsClass = (param(url, 'class') ?? 'IN').toUpperCase();
  if (dnsClass !== 'IN') return { problem: 'asks for a class other than IN' };
  const expect = allParams(url, 'expect').map((value) => normalizeDnsValue(type as DnsRecordType, value));
  if (expect.some((value) => value === '')) return { problem: 'has an empty expect value' };
  const family = { A: 4, AAAA: 6 }[type as 'A' | 'AAAA'];
  if (family && expect.some((value) => isIP(value) !== family)) return { problem: `expects a value that is not an IPv${family} address, which a ${type} record never holds` };
  return { resolver, name: name.replace(/\.$/, ''), type: type as DnsRecordType, expect };
}

/** The model's validator: a `dns:` target must ask a query the checker can send (other schemes pass). */
export const dnsTargetRules = {
  validator: (value: unknown) => typeof value !== 'string' || !/^dns:/i.test(value) || !('problem' in parseDnsTarget(value)),
  message: ({ value }: { value: unknown }) => {
    const parsed = parseDnsTarget(String(value));
    return 'problem' in parsed ? parsed.problem : 'must be a DNS URI';
  },
};

/** For a dns check's target that is another kind of URL (checked across fields, where the method is known). */
export const DNS_TARGET_NEEDED = 'must be a DNS URI for dns checks, such as dns://192.0.2.53/example.org?type=A or dns:example.org?type=MX';

/** How answers and expected values are compared: addresses canonical, names lower case without the final dot. */
export function normalizeDnsValue(type: DnsRecordType, value: string): string {
  const trimmed = value.trim();
  switch (type) {
    case 'A':
    case 'AAAA':
      return canonicalAddress(trimmed);
    case 'TXT':
      return trimmed;
    case 'MX': {
      // "10 mail.example.org" or just "mail.example.org": the priority is compared only when given.
      const [first, second] = trimmed.split(/\s+/);
      return second !== undefined && /^\d+$/.test(first!) ? `${Number(first)} ${hostName(second)}` : hostName(trimmed);
    }
    default:
      return hostName(trimmed);
  }
}

const hostName = (value: string) => value.toLowerCase().replace(/\.$/, '');

function resolverOf(url: URL): string | null | { problem: string } {
  if (url.host === '') return null;
  const address = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(address) === 0) return { problem: 'names its resolver by name: give the resolver as an IP address (dns://192.0.2.53/...), or leave it out for the system resolver' };
  if (url.username || url.password) return { problem: 'must not carry credentials' };
  const port = url.port === '' ? 53 : Number(url.port);
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return '';
  }
}

function isDnsName(name: string): boolean {
  const bare = name.replace(/\.$/, '');
  return bare.length > 0 && bare.length <= 253 && bare.split('.').every((label) => LABEL.test(label));
}

function param(url: URL, key: string): string | null {
  for (const [name, value] of url.searchParams) if (name.toLowerCase() === key) return value;
  return null;
}

function allParams(url: URL, key: string): string[] {
  return [...url.searchParams].filter(([name]) => name.toLowerCase() === key).map(([, value]) => value);
}
