/**
 * src/common/secrets.ts (issue 10 item 1): how targets are masked, how `***` written back keeps the stored
 * secret, and how free text, structured values and log lines are scrubbed.
 */
import { describe, expect, test } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import { hasCredentials, keepStoredSecrets, maskTarget, MaskWithoutSecretError, redactValue, scrubText, secretsOfTarget, withoutCredentials } from '../../src/common/secrets.js';

describe('maskTarget', () => {
  test.each([
    ['postgresql://monitor:S3cretPassw0rd@127.0.0.1:4235/app', 'postgresql://monitor:***@127.0.0.1:4235/app'],
    ['http://admin:pa%40ss@example.com/health', 'http://admin:***@example.com/health'],
    ['https://ghp_tokenonly@example.com/', 'https://***@example.com/'],
    ['redis://:onlypassword@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['mongodb://u:p@a:27017,b:27017/db?replicaSet=rs0&authSource=admin', 'mongodb://u:***@a:27017,b:27017/db?replicaSet=rs0&authSource=admin'],
    ['https://example.com/hook?access_token=abc123&x=1', 'https://example.com/hook?access_token=***&x=1'],
    ['postgresql://db/app?password=abc&sslkey=/etc/ssl/private/client.key&sslmode=require', 'postgresql://db/app?password=***&sslkey=***&sslmode=require'],
    // An unescaped `/` or `#` in a password makes the text no URL; everything up to the last `@` is still userinfo.
    ['postgresql://monitor:pa/ss#word@db:5432/app', 'postgresql://monitor:***@db:5432/app'],
    ['host=db user=monitor password=S3cret dbname=app', 'host=db user=monitor password=*** dbname=app'],
    ["host=db password='with space' dbname=app", 'host=db password=*** dbname=app'],
    ['tcp://127.0.0.1:5432', 'tcp://127.0.0.1:5432'],
    ['http://example.com/path?q=1#frag', 'http://example.com/path?q=1#frag'],
  ])('%s reads %s', (target, masked) => {
    expect(maskTarget(target)).toBe(masked);
  });

  test('null stays null; credentials are detected and removed', () => {
    expect(maskTarget(null)).toBeNull();
    expect(hasCredentials('postgresql://u:p@db/app')).toBe(true);
    expect(hasCredentials('tcp://db:5432')).toBe(false);
    expect(withoutCredentials('postgresql://u:p@db/app?password=x&sslmode=require')).toBe('postgresql://db/app?sslmode=require');
  });
});

describe('keepStoredSecrets', () => {
  const stored = 'postgresql://monitor:old-pw@db:5432/app?sslmode=require';

  test('*** in the password keeps the stored password, with a new host', () => {
    expect(keepStoredSecrets('postgresql://monitor:***@db2:5432/app?sslmode=require', stored)).toBe('postgresql://monitor:old-pw@db2:5432/app?sslmode=require');
  });

  test('*** alone keeps the whole stored target', () => {
    expect(keepStoredSecrets('***', stored)).toBe(stored);
  });

  test('a target without credentials keeps the stored ones, unless cleared', () => {
    expect(keepStoredSecrets('postgresql://db3:5432/app', stored)).toBe('postgresql://monitor:old-pw@db3:5432/app');
    expect(keepStoredSecrets('postgresql://db3:5432/app', stored, true)).toBe('postgresql://db3:5432/app');
  });

  test('new credentials replace the stored ones', () => {
    expect(keepStoredSecrets('postgresql://monitor:new-pw@db:5432/app', stored)).toBe('postgresql://monitor:new-pw@db:5432/app');
  });

  test('*** in a secret parameter keeps the stored parameter; secret parameters left out are kept', () => {
    const withToken = 'https://example.com/hook?access_token=tok1&x=1';
    expect(keepStoredSecrets('https://example.com/hook?access_token=***&x=2', withToken)).toBe('https://example.com/hook?access_token=tok1&x=2');
    expect(keepStoredSecrets('https://example.com/hook2', withToken)).toBe('https://example.com/hook2?access_token=tok1');
  });

  test('*** with nothing stored to keep is refused, never stored as a password', () => {
    expect(() => keepStoredSecrets('***', null)).toThrow(MaskWithoutSecretError);
    expect(() => keepStoredSecrets('postgresql://monitor:***@db/app', 'postgresql://db/app')).toThrow(MaskWithoutSecretError);
    expect(() => keepStoredSecrets('https://***@example.com/', null)).toThrow(MaskWithoutSecretError);
    expect(() => keepStoredSecrets('https://example.com/?token=***', 'https://example.com/')).toThrow(MaskWithoutSecretError);
  });

  test('what is read masked and written back unchanged stores what was stored', () => {
    for (const target of [stored, 'https://ghp_tok@example.com/x?api_key=k1', 'redis://:pw@cache:6379/0']) {
      expect(keepStoredSecrets(maskTarget(target), target)).toBe(target);
    }
  });
});

describe('secretsOfTarget', () => {
  test('the password raw and decoded, the Basic token, secret parameter values', () => {
    const secrets = secretsOfTarget('http://admin:p%40ss@example.com/?token=tk9');
    expect(secrets).toEqual(expect.arrayContaining(['p%40ss', 'p@ss', Buffer.from('admin:p@ss').toString('base64'), 'tk9']));
  });
});

describe('scrubText', () => {
  test('URL credentials, secret parameters, password= pairs and JSON secrets anywhere in text', () => {
    const text = 'connect postgresql://monitor:pw1@db/app failed; GET https://x/?token=tk2 401; password=pw3; {"password": "pw4", "keyPath": "/k"}';
    const scrubbed = scrubText(text);
    for (const secret of ['pw1', 'tk2', 'pw3', 'pw4', '"/k"']) expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain('postgresql://monitor:***@db/app');
  });

  test('given literal secrets wherever they appear; very short ones are left alone', () => {
    expect(scrubText('auth is "Basic YWRtaW46cHc=" and pw', { secrets: ['YWRtaW46cHc=', 'pw'] })).toBe('auth is "Basic ***" and pw');
  });

  test('paths: every absolute path; keyPaths: only those that look like key material', () => {
    const text = 'cannot read /root/.ssh/id_rsa; unit /lib/systemd/system/nginx.service; key /srv/keys/monitor';
    expect(scrubText(text, { paths: true })).toBe('cannot read <path>; unit <path>; key <path>');
    expect(scrubText(text, { keyPaths: true })).toBe('cannot read <path>; unit /lib/systemd/system/nginx.service; key <path>');
  });
});

describe('redactValue and the logger', () => {
  test('secret-named fields read ***, target-like fields are masked, other strings scrubbed', () => {
    expect(
      redactValue({
        input: { sshConfig: { keyPath: '/root/.ssh/id', user: 'u' }, monitoring: { target: 'postgresql://m:pw@db/app' }, healthCheck: { endpoint: 'https://h:pw2@x/' } },
        config: { ssh: { key: '/k/id', password: 'p' } },
        note: 'see redis://:pw3@cache',
        enabled: true,
      }),
    ).toEqual({
      input: { sshConfig: { keyPath: '***', user: 'u' }, monitoring: { target: 'postgresql://m:***@db/app' }, healthCheck: { endpoint: 'https://h:***@x/' } },
      config: { ssh: { key: '***', password: '***' } },
      note: 'see redis://:***@cache',
      enabled: true,
    });
  });

  test('every log line is redacted: message and fields', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (line) => lines.push(line));
    logger.error('check of postgresql://monitor:pw-log1@db/app failed', { target: 'http://a:pw-log2@x/', key_path: '/srv/keys/id', reason: 'password=pw-log3 rejected', error: new Error('token=pw-log4') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/pw-log|\/srv\/keys/);
    expect(lines[0]).toContain('postgresql://monitor:***@db/app');
  });
});
