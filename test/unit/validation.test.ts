import { describe, expect, test } from 'vitest';
import { isHttpUrl, isIpAddress, isTimeZone, patterns } from '../../src/common/validation.js';

const x = (n: number) => 'x'.repeat(n);

/** One table per pattern: what it must accept and what it must refuse. */
const cases: Record<keyof typeof patterns, { accept: string[]; reject: string[] }> = {
  id: {
    accept: ['host_jeju_mysql_001', 'svc.1-a', 'A', x(128)],
    reject: ['', '_x', '-x', '.x', 'a b', 'a/b', 'a;b', '$(id)', x(129)],
  },
  hostname: {
    accept: ['jeju-mysql', 'db01.example.com', 'a', 'A1', x(63), `${x(63)}.${x(63)}.${x(63)}.${x(61)}`],
    reject: ['', '-a', 'a-', 'a_b', 'a..b', '.a', 'a.', 'a b', x(64), `${x(63)}.${x(63)}.${x(63)}.${x(62)}`],
  },
  systemdUnit: {
    accept: ['mysql.service', 'postgresql@14-main.service', 'getty@tty1.service', 'dev-sda1.device', 'a:b', x(255)],
    reject: ['', '-rf', '.hidden', '@x', 'a b', 'a;b', 'a|b', 'a&b', '$(x)', '`x`', "it's", 'a\\x2db', 'a/b', 'a\n', x(256)],
  },
  readableName: {
    accept: ['Company website', 'API (EU) health', 'shop.example.com/checkout', 'db-01: replica', 'a', x(128)],
    reject: ['', ' leading', '-rf', 'a;b', 'a|b', 'a&b', '$(x)', '`x`', "it's", 'say "hi"', 'a\\b', 'a\n', 'a<b', x(129)],
  },
  label: {
    accept: ['asia-pacific', 'us-east-1', 'Seoul-DC1', 'Seoul DC1', 'a_b.c', x(64)],
    reject: ['', ' lead', '-x', 'a/b', 'a;b', 'a\tb', x(65)],
  },
  unixUser: {
    accept: ['ubuntu', '_svc', 'deploy-user', 'a1', x(32)],
    reject: ['', 'Root', '1user', '-x', 'a.b', 'a b', 'a$', x(33)],
  },
  absolutePath: {
    accept: ['/home/ubuntu/.ssh/id_ed25519', '/etc/keys/jeju@prod+1', '/a', '/a/..b', '/a/b..'],
    reject: ['', '/', 'keys/id_rsa', '~/.ssh/id_rsa', '/a/../b', '/a/..', '/..', '/a b', '/a;b', '/a$(x)', '/a\\b', `/${x(4096)}`],
  },
  allowListName: {
    accept: ['restart-mysql.sh', 'mysql_replication', 'a', x(64)],
    reject: ['', 'rm -rf /', '/bin/sh', '../x', '-x', '.x', 'a;b', x(65)],
  },
  tag: {
    accept: ['mysql', 'backup-enabled', 'team:db', 'a/b', 'v1.2', x(64)],
    reject: ['', '-x', ':x', 'a b', 'a;b', x(65)],
  },
  hexColor: {
    accept: ['#FF0000', '#00ff7f', '#aBcDeF'],
    reject: ['', 'red', '#FFF', 'FF0000', '#GG0000', '#FF00000', ' #FF0000'],
  },
  clockTime: {
    accept: ['00:00', '02:00', '09:30', '19:59', '23:59'],
    reject: ['', '24:00', '2:00', '12:60', '12:5', '12.30', '1200', '12:00:00', 'noon'],
  },
};

describe.each(Object.keys(cases) as (keyof typeof patterns)[])('patterns.%s', (name) => {
  const { accept, reject } = cases[name];
  test.each(accept.map((v) => [JSON.stringify(v.length > 40 ? `${v.slice(0, 12)}…(${v.length})` : v), v]))('accepts %s', (_label, value) => {
    expect(patterns[name].test(value)).toBe(true);
  });
  test.each(reject.map((v) => [JSON.stringify(v.length > 40 ? `${v.slice(0, 12)}…(${v.length})` : v), v]))('rejects %s', (_label, value) => {
    expect(patterns[name].test(value)).toBe(false);
  });
});

describe('isIpAddress', () => {
  test.each(['10.1.11.81', '0.0.0.0', '255.255.255.255', '::1', '::', '2001:db8::1', 'fe80::1', '::ffff:192.0.2.1'])('accepts %s', (ip) => {
    expect(isIpAddress(ip)).toBe(true);
  });
  test.each(['', 'abc', '10.1.11.256', '10.1.11', '10.1.11.81.1', '2001:db8:::1', 'localhost', ' 10.1.11.81'])('rejects %j', (ip) => {
    expect(isIpAddress(ip)).toBe(false);
  });
});

describe('isTimeZone', () => {
  test.each(['UTC', 'Asia/Seoul', 'America/New_York', 'Europe/Berlin'])('accepts %s', (zone) => {
    expect(isTimeZone(zone)).toBe(true);
  });
  test.each(['', 'Mars/Base', 'Asia/Tokyoo', 'GMT+25', 'not a zone'])('rejects %j', (zone) => {
    expect(isTimeZone(zone)).toBe(false);
  });
});

describe('isHttpUrl', () => {
  test.each(['http://10.1.11.81:8080/health', 'https://example.com', 'https://example.com/status?x=1'])('accepts %s', (url) => {
    expect(isHttpUrl(url)).toBe(true);
  });
  test.each(['', 'ftp://example.com', 'javascript:alert(1)', 'file:///etc/passwd', 'example.com/health', 'not a url', 'mailto:a@b.c'])(
    'rejects %j',
    (url) => {
      expect(isHttpUrl(url)).toBe(false);
    },
  );
});
