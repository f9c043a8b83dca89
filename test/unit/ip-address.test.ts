import fc from 'fast-check';
import { isIP } from 'node:net';
import { expect, test } from 'vitest';
import { canonicalAddress } from '../../src/common/ip-address.js';

test.each([
  ['FD00::15', 'fd00::15'],
  ['fd00:0:0::15', 'fd00::15'],
  ['fd00:0000:0000:0000:0000:0000:0000:0015', 'fd00::15'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 4.2.3: the first of two equal runs
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2: one zero group is not compressed
  ['::ffff:10.1.11.81', '10.1.11.81'],
  ['::FFFF:0a01:0b51', '10.1.11.81'],
  ['fe80::0001%eth0', 'fe80::1%eth0'],
  [' 10.1.11.81 ', '10.1.11.81'],
  ['10.1.11.81', '10.1.11.81'],
  ['::', '::'],
])('%s is spelled %s', (given, canonical) => {
  expect(canonicalAddress(given)).toBe(canonical);
});

test('what is not an address is left for validation to refuse', () => {
  expect(canonicalAddress('not an address')).toBe('not an address');
  expect(canonicalAddress('10.1.11.256')).toBe('10.1.11.256');
  const pattern = /10\.1/;
  expect(canonicalAddress(pattern)).toBe(pattern);
});

test('every spelling of an IPv6 address has one canonical form, itself canonical', () => {
  const group = fc.integer({ min: 0, max: 0xffff });
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), (words, upper) => {
      const long = words.map((w) => w.toString(16).padStart(4, '0')).join(':');
      const spelled = upper ? long.toUpperCase() : long;
      const canonical = canonicalAddress(spelled);
      expect(isIP(canonical)).not.toBe(0);
      expect(canonicalAddress(canonical)).toBe(canonical);
      expect(canonical).toBe(canonicalAddress(words.map((w) => w.toString(16)).join(':')));
      expect(canonical).toBe(canonical.toLowerCase());
    }),
  );
});
