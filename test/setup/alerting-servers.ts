/**
 * Real servers notifications go to, each on 127.0.0.1 and free ports, in a temp dir that stop() removes:
 *
 *   startMailpit(tls)    Mailpit: SMTP (with STARTTLS required, when given a certificate) and its HTTP API
 *   startAlertmanager()  Debian's prometheus-alertmanager with a config that routes everything to nowhere
 *
 * Install them with `bash tools/alerting/install.sh` (npm run setup does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/db/local-server.js';
import { projectRoot } from '../../src/db/paths.js';

export const MAILPIT = join(projectRoot(), 'tools', 'alerting', 'bin', 'mailpit');
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const INSTALL_HINT = 'run `bash tools/alerting/install.sh` (builds Mailpit, installs Debian prometheus-alertmanager)';

export interface RunningServer {
  /** Base URL of its HTTP API. */
  api: string;
  logs(): string;
  stop(): Promise<void>;
}

export interface RunningMailpit extends RunningServer {
  smtpPort: number;
  /** Every message received, newest first, with its plain text. */
  messages(): Promise<{ subject: string; from: string; to: string[]; text: string }[]>;
}

export async function startMailpit(tls?: { cert: string; key: string }): Promise<RunningMailpit> {
  if (!existsSync(MAILPIT)) throw new Error(`${MAILPIT} is missing: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'mailpit-'));
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const args = ['--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${httpPort}`, '--database', join(dir, 'mailpit.db'), '--disable-version-check'];
  if (tls) {
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    writeFileSync(join(dir, 'key.pem'), tls.key);
    args.push('--smtp-tls-cert', join(dir, 'cert.pem'), '--smtp-tls-key', join(dir, 'key.pem'), '--smtp-require-starttls');
  }
  const server = await run(MAILPIT, args, dir, `http://127.0.0.1:${httpPort}`, '/livez');
  return {
    ...server,
    smtpPort,
    async messages() {
      const list = (await (await fetch(`${server.api}/api/v1/messages`)).json()) as { messages: { ID: string }[] };
      return Promise.all(
        list.messages.map(async ({ ID }) => {
          const m = (await (await fetch(`${server.api}/api/v1/message/${ID}`)).json()) as { Subject: string; From: { Address: string }; To: { Address: string }[]; Text: string };
          return { subject: m.Subject, from: m.From.Address, to: m.To.map((t) => t.Address), text: m.Text };
        }),
      );
    },
  };
}

export interface RunningAlertmanager extends RunningServer {
  /** Alerts it holds now (API v2): active ones, and with `resolved` those whose endsAt has passed too. */
  alerts(): Promise<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; status: { state: string } }[]>;
}

export async function startAlertmanager(): Promise<RunningAlertmanager> {
  if (!existsSync(ALERTMANAGER)) throw new Error(`${ALERTMANAGER} is missing: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  const [httpPort, clusterPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: nowhere\n  group_wait: 1h\nreceivers:\n  - name: nowhere\n');
  const args = [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${httpPort}`,
    `--cluster.listen-address=`, // no gossip: a single instance
    `--log.level=warn`,
  ];
  void clusterPort;
  const server = await run(ALERTMANAGER, args, dir, `http://127.0.0.1:${httpPort}`, '/-/ready');
  return {
    ...server,
    async alerts() {
      return (await (await fetch(`${server.api}/api/v2/alerts`)).json()) as never;
    },
  };
}

export async function run(binary: string, args: string[], dir: string, api: string, readyPath: string): Promise<RunningServer> {
  const child: ChildProcess = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${binary} exited (${child.exitCode}) before it was ready:\n${output.slice(-2000)}`);
    }
    const ready = await fetch(`${api}${readyPath}`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} was not ready within 20 s:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { api, logs: () => output, stop };
}
