/**
 * A real OpenSSH server (Debian's /usr/sbin/sshd) for tests, on a loopback port,
 * whose sessions find a fake `systemctl` (tools/sshd/fake-systemctl) and a `sudo`
 * shim first on PATH. Install sshd with `bash tools/sshd/install.sh`.
 *
 *   const sshd = await startSshd();
 *   sshd.setUnitState('nginx.service', 'active');
 *   // connect with ssh2: { host, port, username, privateKey }, run `systemctl is-active nginx.service`
 *   await sshd.stop();
 *
 * The session environment is injected with sshd_config `SetEnv` (OpenSSH >= 8.7):
 *   PATH=<tmp>/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
 *   FAKE_SYSTEMD_DIR=<tmp>/state
 *   HOME=<tmp>/home   (empty)
 * SetEnv is applied after sshd's own defaults, so it wins over sshd's PATH/HOME.
 * The command still runs through the login user's shell (`$SHELL -c cmd`), as in
 * production. Debian's bash sources ~/.bashrc even for `ssh host cmd`; pointing
 * HOME at an empty dir keeps the real user's dotfiles (pyenv etc.: ~150 ms per
 * exec, PATH rewrites) out of the tests. /etc/bash.bashrc still runs.
 *
 * `sudo` in the session is ALWAYS a shim (<tmp>/bin/sudo), even where real sudo
 * exists: real sudo would reset PATH (secure_path) and reach the host's real
 * systemctl. The shim accepts `-n` (and -E/-H/--), strips them and execs the rest,
 * so `sudo -n systemctl restart x.service` runs the fake. Creating
 * `<stateDir>/sudo.deny` makes it fail like sudo without a NOPASSWD rule.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'ssh2';
import { freePort } from '../../src/db/local-server.js';

const execFileAsync = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';
const FAKE_SYSTEMCTL = fileURLToPath(new URL('../../tools/sshd/fake-systemctl', import.meta.url));

export type FakeUnitState = 'active' | 'inactive' | 'failed' | 'activating' | 'unknown';
const UNIT_STATES: readonly FakeUnitState[] = ['active', 'inactive', 'failed', 'activating', 'unknown'];
const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9:_.@-]*$/;

export interface SshdFixture {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** Unencrypted ed25519 key, "-----BEGIN OPENSSH PRIVATE KEY-----" format; ssh2 reads it. */
  privateKey: string;
  /** base64 (padded, 44 chars) of sha256 over the raw host key blob: what
   *  `createHash('sha256').update(key).digest('base64')` gives for the Buffer ssh2
   *  passes to `hostVerifier` when no `hostHash` is set. */
  hostKeyFingerprintSha256: string;
  /** hex sha256 of the host key blob: what ssh2 passes to `hostVerifier` with `hostHash: 'sha256'`. */
  hostKeyFingerprintSha256Hex: string;
  /** `SHA256:<unpadded base64>`, as `ssh-keygen -lf` and OpenSSH clients print it. */
  hostKeyOpenSshFingerprint: string;
  /** Raw host key blob (the base64 field of the .pub line, decoded). */
  hostKeyBlob: Buffer;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...` */
  knownHostsLine: string;
  /** FAKE_SYSTEMD_DIR as the SSH sessions see it. */
  stateDir: string;
  /** Directory holding the session's `systemctl` and `sudo`. */
  binDir: string;
  /** HOME as the SSH sessions see it (an empty dir, so no dotfiles run). */
  homeDir: string;
  /** Temp directory with config, keys, state; removed by stop(). */
  rootDir: string;
  /** Milliseconds from spawn to a successful SSH login. */
  startupMs: number;
  setUnitState(unit: string, state: FakeUnitState): void;
  getUnitState(unit: string): FakeUnitState | undefined;
  /** start/restart of the unit then fail (state "failed", exit 1). */
  setUnitBroken(unit: string, broken: boolean): void;
  /** Every fake systemctl call sleeps `seconds` first for this unit; null clears. */
  setUnitDelay(unit: string, seconds: number | null): void;
  /** Make `sudo -n` fail ("a password is required", exit 1) or work again. */
  setSudoAllowed(allowed: boolean): void;
  /** Arguments of each fake systemctl call, one string per call (args joined by spaces). */
  readCalls(): string[];
  clearCalls(): void;
  /** sshd's stderr so far (for failure messages). */
  logs(): string;
  /** Kill sshd and its session processes, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  /** Fixed port; default: a free one picked by the OS (retried if lost to a race). */
  port?: number;
  /** Give up if sshd does not accept a login within this many ms (default 15000). */
  startTimeoutMs?: number;
}

const SUDO_SHIM = `#!/bin/sh
# sudo SHIM for the SSH test fixture (test/setup/sshd.ts) -- NOT real sudo.
# Accepts -n/--non-interactive (and -E, -H, --), strips them and execs the rest,
# so \`sudo -n systemctl ...\` runs the fake systemctl found on PATH.
# If \$FAKE_SYSTEMD_DIR/sudo.deny exists it fails the way \`sudo -n\` does without NOPASSWD.
dir=\${FAKE_SYSTEMD_DIR:-\${HOME:-/tmp}/.fake-systemd}
noninteractive=0
while [ $# -gt 0 ]; do
  case $1 in
    -n | --non-interactive) noninteractive=1 ;;
    -E | -H | --preserve-env | --set-home) ;;
    --) shift; break ;;
    -*) echo "sudo: shim does not support option '$1'" >&2; exit 1 ;;
    *) break ;;
  esac
  shift
done
if [ $# -eq 0 ]; then
  echo "usage: sudo -n command [args...]   (test shim)" >&2
  exit 1
fi
if [ -e "$dir/sudo.deny" ]; then
  if [ "$noninteractive" = 1 ]; then echo "sudo: a password is required" >&2; else echo "sudo: a terminal is required to read the password" >&2; fi
  exit 1
fi
exec "$@"
`;

function assertUnit(unit: string): void {
  if (!UNIT_NAME.test(unit) || unit.length > 256) throw new Error(`invalid unit name: ${JSON.stringify(unit)}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Log in with ssh2 and return the host key blob the server presented. */
function probeLogin(port: number, username: string, privateKey: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey: Buffer | undefined;
    client
      .on('ready', () => {
        client.end();
        if (hostKey) resolve(hostKey);
        else reject(new Error('no host key seen'));
      })
      .on('error', (err) => reject(err))
      .connect({
        host: '127.0.0.1',
        port,
        username,
        privateKey,
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          hostKey = Buffer.from(key);
          return true;
        },
      });
  });
}

/** Descendants of `pid` grouped by depth: [children, grandchildren, ...] (Linux /proc). */
function descendantLevels(pid: number): number[][] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ..."; comm may contain spaces and parens.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      childrenOf.set(ppid, [...(childrenOf.get(ppid) ?? []), Number(entry)]);
    } catch {
      // process went away
    }
  }
  const levels: number[][] = [];
  let level = childrenOf.get(pid) ?? [];
  while (level.length) {
    levels.push(level);
    level = level.flatMap((child) => childrenOf.get(child) ?? []);
  }
  return levels;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  }
}

/** Wait until none of `pids` exists any more (exited and reaped by its parent). */
async function gone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!pids.some((pid) => existsSync(`/proc/${pid}`))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
}

function sshdConfig(opts: {
  port: number;
  hostKey: string;
  authorizedKeys: string;
  pidFile: string;
  binDir: string;
  stateDir: string;
  homeDir: string;
  username: string;
  isRoot: boolean;
}): string {
  const q = (s: string) => {
    if (/["\n]/.test(s)) throw new Error(`unsupported character in path ${JSON.stringify(s)}`);
    return `"${s}"`;
  };
  const path = `${opts.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  return [
    '# Generated by test/setup/sshd.ts: a private sshd for tests only.',
    'ListenAddress 127.0.0.1',
    `Port ${opts.port}`,
    `HostKey ${q(opts.hostKey)}`,
    `PidFile ${q(opts.pidFile)}`,
    `AuthorizedKeysFile ${q(opts.authorizedKeys)}`,
    `AllowUsers ${opts.username}`,
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'GSSAPIAuthentication no',
    'KerberosAuthentication no',
    'UsePAM no',
    // Temp dirs live under world-writable /tmp, which StrictModes rejects.
    'StrictModes no',
    `PermitRootLogin ${opts.isRoot ? 'prohibit-password' : 'no'}`,
    'MaxSessions 10',
    'MaxStartups 50:30:100',
    'LoginGraceTime 30',
    // Session environment: SetEnv is applied after sshd's defaults, so it wins.
    // HOME points at an empty dir so the login shell skips the real user's
    // ~/.bashrc / ~/.zshenv (slow, and they may rewrite PATH).
    `SetEnv ${q(`PATH=${path}`)} ${q(`FAKE_SYSTEMD_DIR=${opts.stateDir}`)} ${q(`HOME=${opts.homeDir}`)}`,
    'PermitUserEnvironment no',
    'PermitUserRC no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'AllowTcpForwarding no',
    'AllowStreamLocalForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    '',
  ].join('\n');
}

export async function startSshd(options: StartSshdOptions = {}): Promise<SshdFixture> {
  if (!existsSync(SSHD_PATH)) {
    throw new Error(`${SSHD_PATH} not found: run \`bash tools/sshd/install.sh\` (installs Debian's openssh-server)`);
  }
  const isRoot = process.getuid?.() === 0;
  const username = userInfo().username;
  if (isRoot) {
    // Privilege-separation chroot dir compiled into Debian's sshd; normally made by systemd's unit.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }

  const rootDir = await mkdtemp(join(tmpdir(), 'sshd-fixture-'));
  const binDir = join(rootDir, 'bin');
  const stateDir = join(rootDir, 'state');
  const homeDir = join(rootDir, 'home');
  mkdirSync(binDir);
  mkdirSync(stateDir);
  mkdirSync(homeDir);
  const hostKey = join(rootDir, 'ssh_host_ed25519_key');
  const userKey = join(rootDir, 'id_ed25519');
  const authorizedKeys = join(rootDir, 'authorized_keys');
  const pidFile = join(rootDir, 'sshd.pid');
  const configFile = join(rootDir, 'sshd_config');

  try {
    await Promise.all([
      execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sshd-fixture-host', '-f', hostKey]),
      execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sshd-fixture-user', '-f', userKey]),
    ]);
    copyFileSync(FAKE_SYSTEMCTL, join(binDir, 'systemctl'));
    chmodSync(join(binDir, 'systemctl'), 0o755);
    writeFileSync(join(binDir, 'sudo'), SUDO_SHIM, { mode: 0o755 });
    writeFileSync(authorizedKeys, readFileSync(`${userKey}.pub`, 'utf8'), { mode: 0o600 });
  } catch (err) {
    rmSync(rootDir, { recursive: true, force: true });
    throw err;
  }

  const privateKey = readFileSync(userKey, 'utf8');
  const [keyType, keyBase64] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const hostKeyBlob = Buffer.from(keyBase64!, 'base64');
  const digest = createHash('sha256').update(hostKeyBlob).digest();
  const hostKeyFingerprintSha256 = digest.toString('base64');
  const hostKeyFingerprintSha256Hex = digest.toString('hex');
  const hostKeyOpenSshFingerprint = `SHA256:${hostKeyFingerprintSha256.replace(/=+$/, '')}`;

  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  let child: ChildProcess | undefined;
  let port = 0;
  let stderr = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const started = Date.now();

  const attempts = options.port ? 1 : 3;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    port = options.port ?? (await freePort());
    writeFileSync(
      configFile,
      sshdConfig({ port, hostKey, authorizedKeys, pidFile, binDir, stateDir, homeDir, username, isRoot }),
    );
    stderr = '';
    exited = undefined;
    // -D: stay in the foreground as our child; -e: log to stderr. sshd re-execs
    // itself, so it must be started by absolute path.
    const proc = spawn(SSHD_PATH, ['-D', '-e', '-f', configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    });
    child = proc;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    proc.on('error', (err) => {
      stderr += `spawn error: ${err.message}\n`;
      exited = { code: -1, signal: null };
    });

    // Wait for the listener (sshd logs "Server listening on 127.0.0.1 port N.").
    const deadline = started + startTimeoutMs;
    while (!exited && Date.now() < deadline) {
      if (stderr.includes('Server listening')) break;
      await sleep(10);
    }
    if (exited && /Address already in use|Cannot bind any address/.test(stderr) && attempt < attempts) continue;
    break;
  }

  const fail = async (message: string): Promise<never> => {
    if (child && !exited) child.kill('SIGKILL');
    rmSync(rootDir, { recursive: true, force: true });
    throw new Error(`${message}\n--- sshd stderr ---\n${stderr.trim()}`);
  };
  if (exited) await fail(`sshd exited during startup (code ${exited.code}, signal ${exited.signal})`);
  if (!stderr.includes('Server listening')) await fail(`sshd did not listen within ${startTimeoutMs} ms`);

  // A full login proves keys, AllowUsers and PermitRootLogin are right.
  let seenHostKey: Buffer;
  try {
    seenHostKey = await probeLogin(port, username, privateKey, Math.max(1000, started + startTimeoutMs - Date.now()));
  } catch (err) {
    const hint = /account is locked/.test(stderr)
      ? ` (the account's /etc/shadow password starts with "!"; with UsePAM no sshd refuses it: run \`usermod -p '*' ${username}\`)`
      : '';
    return fail(`SSH login to the fixture sshd failed: ${(err as Error).message}${hint}`);
  }
  if (!seenHostKey.equals(hostKeyBlob)) await fail('sshd presented a host key other than the generated one');
  const startupMs = Date.now() - started;

  const sshd = child!;
  const sshdPid = sshd.pid!;
  const onExit = () => {
    signal([...descendantLevels(sshdPid).flat(), sshdPid], 'SIGKILL');
  };
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  const callsLog = join(stateDir, 'calls.log');
  const unitFile = (unit: string, ext: string) => {
    assertUnit(unit);
    return join(stateDir, `${unit}.${ext}`);
  };

  return {
    host: '127.0.0.1',
    port,
    username,
    privateKey,
    hostKeyFingerprintSha256,
    hostKeyFingerprintSha256Hex,
    hostKeyOpenSshFingerprint,
    hostKeyBlob,
    knownHostsLine: `[127.0.0.1]:${port} ${keyType} ${keyBase64}`,
    stateDir,
    binDir,
    homeDir,
    rootDir,
    startupMs,
    setUnitState(unit, state) {
      if (!UNIT_STATES.includes(state)) throw new Error(`invalid unit state: ${JSON.stringify(state)}`);
      writeFileSync(unitFile(unit, 'state'), `${state}\n`);
    },
    getUnitState(unit) {
      try {
        return readFileSync(unitFile(unit, 'state'), 'utf8').trim() as FakeUnitState;
      } catch {
        return undefined;
      }
    },
    setUnitBroken(unit, broken) {
      const file = unitFile(unit, 'broken');
      if (broken) writeFileSync(file, '');
      else rmSync(file, { force: true });
    },
    setUnitDelay(unit, seconds) {
      const file = unitFile(unit, 'delay');
      if (seconds === null) rmSync(file, { force: true });
      else {
        if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new Error(`invalid delay: ${seconds}`);
        writeFileSync(file, `${seconds}\n`);
      }
    },
    setSudoAllowed(allowed) {
      const file = join(stateDir, 'sudo.deny');
      if (allowed) rmSync(file, { force: true });
      else writeFileSync(file, '');
    },
    readCalls() {
      try {
        return readFileSync(callsLog, 'utf8').split('\n').filter((line) => line !== '');
      } catch {
        return [];
      }
    },
    clearCalls() {
      rmSync(callsLog, { force: true });
    },
    logs: () => stderr,
    stop() {
      stopped ??= (async () => {
        process.removeListener('exit', onExit);
        // Connection handlers setsid() away from the listener, so killing the
        // listener (or its process group) would leave sessions running. Stop the
        // tree from the leaves up, each level while its parents still live to
        // reap it: orphans would be left to PID 1, which may not reap (zombies).
        for (let round = 0; round < 3; round++) {
          const levels = descendantLevels(sshdPid);
          if (!levels.length) break;
          for (const level of levels.reverse()) {
            signal(level, 'SIGTERM');
            if (!(await gone(level, 2_000))) {
              signal(level, 'SIGKILL');
              await gone(level, 1_000);
            }
          }
        }
        if (!exited) {
          const done = new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
          sshd.kill('SIGTERM');
          const timer = setTimeout(() => sshd.kill('SIGKILL'), 5_000);
          await done;
          clearTimeout(timer);
        }
        rmSync(rootDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

