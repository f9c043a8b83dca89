import { describe, expect, test } from 'vitest';
import { normalizeDnsValue, parseDnsTarget } from '../../src/common/dns-target.js';

describe('dns targets (RFC 4501 DNS URIs)', () => {
  test('the resolver, name, type and expected values', () => {
    expect(parseDnsTarget('dns:example.org')).toEqual({ resolver: null, name: 'example.org', type: 'A', expect: [] });
    expect(parseDnsTarget('dns://192.0.2.53/Example.org.?TYPE=mx&expect=10%20Mail.Example.org.')).toEqual({
      resolver: '192.0.2.53:53',
      name: 'Example.org',
      type: 'MX',
      expect: ['10 mail.example.org'],
    });
    expect(parseDnsTarget('dns://[::1]:5353/a.test?type=AAAA&expect=0:0::1')).toMatchObject({ resolver: '[::1]:5353', expect: ['::1'] });
    expect(parseDnsTarget('DNS://127.0.0.1/_sip._tcp.example.org?type=TXT&class=in')).toMatchObject({ name: '_sip._tcp.example.org', type: 'TXT' });
  });

  test('what cannot be asked, in words that never repeat the target', () => {
    expect(parseDnsTarget('dns://127.0.0.1/a.test?class=CH')).toEqual({ problem: 'asks for a class other than IN' });
    expect(parseDnsTarget('dns://user:secret@127.0.0.1/a.test')).toEqual({ problem: 'must not carry credentials' });
    expect(parseDnsTarget('dns://127.0.0.1/a.test?expect=')).toEqual({ problem: 'has an empty expect value' });
    expect(parseDnsTarget('dns://127.0.0.1/')).toHaveProperty('problem', expect.stringMatching(/^must name a domain/));
    expect(parseDnsTarget(`dns:${'a'.repeat(64)}.test`)).toHaveProperty('problem', expect.stringMatching(/^must name a domain/));
    expect(parseDnsTarget('dns:a.test?type=AAAA&expect=10.0.0.1')).toHaveProperty('problem', expect.stringMatching(/not an IPv6 address/));
    expect(parseDnsTarget('http://a.test/')).toEqual({ problem: 'must start with dns:' });
  });

  test('answers compare as their type reads them', () => {
    expect(normalizeDnsValue('AAAA', 'FD00:0:0::1')).toBe('fd00::1');
    expect(normalizeDnsValue('CNAME', 'WWW.Example.org.')).toBe('www.example.org');
    expect(normalizeDnsValue('MX', '010   Mail.example.org')).toBe('10 mail.example.org');
    expect(normalizeDnsValue('TXT', 'Case Kept')).toBe('Case Kept');
  });
});
