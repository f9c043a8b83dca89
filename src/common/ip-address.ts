import { isIP } from 'node:net';

const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * The one spelling of an address, so one machine is one host: IPv6 in RFC 5952 form (lower case, no leading
 * zeros, the longest run of zero groups compressed; the WHATWG URL serializer Node ships writes exactly that),
 * IPv4-mapped IPv6 (`::ffff:10.1.11.81`) as the IPv4 address it is, a zone (`%eth0`) kept as given. Anything that
 * is not an address comes back unchanged (validation says what is wrong with it).
 */
export function canonicalAddress<T>(value: T): T {
  // Also a query's value (mongoose runs setters on filters), which may be a pattern: only strings are spelled anew.
  if (typeof value !== 'string') return value;
  return canonical(value) as T;
}

function canonical(value: string): string {
  const trimmed = value.trim();
  if (isIP(trimmed) !== 6) return isIP(trimmed) === 4 ? trimmed : value;
  const [address, zone] = trimmed.split('%', 2) as [string, string | undefined];
  const compressed = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const mapped = IPV4_MAPPED.exec(compressed);
  if (mapped) return ipv4FromWords(parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16));
  return zone === undefined ? compressed : `${compressed}%${zone}`;
}

const ipv4FromWords = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
