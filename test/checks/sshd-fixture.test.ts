import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'ssh2';
import { startSshd, type SshdFixture } from '../setup/sshd.js';

interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

function exec(client: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      channel.on('data', (data: Buffer) => (stdout += data.toString()));
      channel.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
      channel.on('exit', (exitCode: number | null) => (code = exitCode));
      channel.on('close', () => resolve({ stdout, stderr, code }));
    });
  });
}

function connectVerified(sshd: SshdFixture): Promise<{ client: Client; seenFingerprint: string }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seenFingerprint = '';
    client
      .on('ready', () => resolve({ client, seenFingerprint }))
      .on('error', reject)
      .connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.privateKey,
        readyTimeout: 10_000,
        hostVerifier: (key: Buffer) => {
          seenFingerprint = createHash('sha256').update(key).digest('base64');
          return seenFingerprint === sshd.hostKeyFingerprintSha256;
        },
      });
  });
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('sshd test fixture', () => {
  let sshd: SshdFixture;
  let client: Client;

  beforeAll(async () => {
    sshd = await startSshd();
    process.stderr.write(`sshd fixture: port ${sshd.port}, started in ${sshd.startupMs} ms\n`);
    ({ client } = await connectVerified(sshd));
  });

  afterAll(async () => {
    client?.end();
    await sshd?.stop();
  });

  it('exposes the host key in the formats clients need', async () => {
    expect(sshd.host).toBe('127.0.0.1');
    expect(sshd.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(sshd.knownHostsLine).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 AAAA\\S+$`));
    expect(sshd.hostKeyFingerprintSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sshd.hostKeyOpenSshFingerprint).toBe(`SHA256:${sshd.hostKeyFingerprintSha256.slice(0, 43)}`);

    // ssh2's own hostHash: 'sha256' hands the verifier a hex digest.
    const hex = await new Promise<string>((resolve, reject) => {
      const c = new Client();
      let seen = '';
      c.on('ready', () => {
        c.end();
        resolve(seen);
      })
        .on('error', reject)
        .connect({
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          privateKey: sshd.privateKey,
          hostHash: 'sha256',
          hostVerifier: (fingerprint: string) => {
            seen = fingerprint;
            return true;
          },
        });
    });
    expect(hex).toBe(sshd.hostKeyFingerprintSha256Hex);
  });

  it('rejects a connection whose host key does not match', async () => {
    const attempt = new Promise<void>((resolve, reject) => {
      const c = new Client();
      c.on('ready', () => {
        c.end();
        resolve();
      })
        .on('error', reject)
        .connect({
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          privateKey: sshd.privateKey,
          hostVerifier: () => false,
        });
    });
    await expect(attempt).rejects.toThrow(/verification failed/i);
  });

  it('runs the fake systemctl: is-active before and after a state change', async () => {
    expect(await exec(client, 'systemctl is-active nginx.service')).toEqual({ stdout: 'inactive\n', stderr: '', code: 3 });
    sshd.setUnitState('nginx.service', 'active');
    expect(await exec(client, 'systemctl is-active nginx.service')).toEqual({ stdout: 'active\n', stderr: '', code: 0 });
    expect(await exec(client, 'command -v systemctl')).toMatchObject({ stdout: `${sshd.binDir}/systemctl\n`, code: 0 });
  });

  it('reports properties with systemctl show', async () => {
    sshd.setUnitState('api.service', 'active');
    const result = await exec(
      client,
      'systemctl show api.service --property=ActiveState,SubState,MainPID,ActiveEnterTimestamp,MemoryCurrent,CPUUsageNSec --no-pager',
    );
    expect(result.code).toBe(0);
    const props = Object.fromEntries(result.stdout.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
    expect(props).toMatchObject({ ActiveState: 'active', SubState: 'running' });
    expect(Number(props.MainPID)).toBeGreaterThan(0);
    expect(Number(props.MemoryCurrent)).toBeGreaterThan(0);
    expect(Number(props.CPUUsageNSec)).toBeGreaterThan(0);
    expect(props.ActiveEnterTimestamp).toMatch(/^\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \w+$/);
  });

  it('restart, stop, reload and broken units change state', async () => {
    expect(await exec(client, 'systemctl restart x.service')).toMatchObject({ code: 0 });
    expect(sshd.getUnitState('x.service')).toBe('active');
    expect(await exec(client, 'systemctl reload x.service')).toMatchObject({ code: 0 });
    expect(await exec(client, 'systemctl stop x.service')).toMatchObject({ code: 0 });
    expect(sshd.getUnitState('x.service')).toBe('inactive');
    expect(await exec(client, 'systemctl reload x.service')).toMatchObject({ code: 1 });

    sshd.setUnitBroken('y.service', true);
    const broken = await exec(client, 'systemctl restart y.service');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('Job for y.service failed');
    expect(await exec(client, 'systemctl is-active y.service')).toMatchObject({ stdout: 'failed\n', code: 3 });
  });

  it('rejects invalid unit names with exit 2', async () => {
    expect(await exec(client, "systemctl is-active -- 'a/../b'")).toMatchObject({ stdout: '', code: 2 });
    expect(await exec(client, "systemctl is-active '.x'")).toMatchObject({ stdout: '', code: 2 });
  });

  it('runs commands through the sudo shim', async () => {
    sshd.setUnitState('nginx.service', 'active');
    expect(await exec(client, 'sudo -n systemctl is-active nginx.service')).toMatchObject({ stdout: 'active\n', code: 0 });
    sshd.setSudoAllowed(false);
    expect(await exec(client, 'sudo -n systemctl is-active nginx.service')).toMatchObject({
      stderr: 'sudo: a password is required\n',
      code: 1,
    });
    sshd.setSudoAllowed(true);
  });

  it('delays a unit for timeout tests', async () => {
    sshd.setUnitDelay('slow.service', 0.5);
    const started = Date.now();
    expect(await exec(client, 'systemctl is-active slow.service')).toMatchObject({ code: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    sshd.setUnitDelay('slow.service', null);
  });

  it('records the calls', () => {
    const calls = sshd.readCalls();
    expect(calls).toContain('is-active nginx.service');
    expect(calls).toContain('restart x.service');
    expect(calls).toContain(
      'show api.service --property=ActiveState,SubState,MainPID,ActiveEnterTimestamp,MemoryCurrent,CPUUsageNSec --no-pager',
    );
    sshd.clearCalls();
    expect(sshd.readCalls()).toEqual([]);
  });

  it('serves 8 concurrent exec channels on one connection', async () => {
    const units = Array.from({ length: 8 }, (_, i) => `c${i}.service`);
    units.forEach((unit, i) => i % 2 === 0 && sshd.setUnitState(unit, 'active'));
    const results = await Promise.all(units.map((unit) => exec(client, `sleep 0.2; systemctl is-active ${unit}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(units.map((_, i) => (i % 2 === 0 ? 'active' : 'inactive')));
    expect(results.map((r) => r.code)).toEqual(units.map((_, i) => (i % 2 === 0 ? 0 : 3)));
    expect(sshd.readCalls().sort()).toEqual(units.map((unit) => `is-active ${unit}`).sort());
  });

  it('stops: the port closes and open sessions end', async () => {
    const { client: extra } = await connectVerified(sshd);
    const closed = new Promise<void>((resolve) => extra.on('close', () => resolve()));
    extra.on('error', () => {});
    // A command still running when the server stops.
    const pid = await new Promise<number>((resolve, reject) => {
      extra.exec('echo $$; exec sleep 30', (err, channel) => {
        if (err) return reject(err);
        channel.on('data', (data: Buffer) => resolve(Number(data.toString().trim())));
        channel.on('close', () => {});
      });
    });
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await sshd.stop();
    await closed;
    expect(await portAccepts(sshd.port)).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(false); // killed and reaped, not left as an orphan or zombie
    expect(existsSync(sshd.rootDir)).toBe(false);
    await sshd.stop(); // idempotent
  });
});
