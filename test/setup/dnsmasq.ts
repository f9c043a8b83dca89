/**
 * A real DNS server for the dns checker's tests: Debian's dnsmasq (tools/checks/install.sh installs it) in the
 * foreground on 127.0.0.1 and a free port, authoritative for `.test` only (a name it does not know there is
 * NXDOMAIN, a name outside it is REFUSED: it has no upstream), with the records the test gives as its options.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promises as dns } from 'node:dns';
import { freePort } from '../../src/db/local-server.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface RunningDnsmasq {
  /** `127.0.0.1:port`, as a dns:// URI's authority. */
  authority: string;
  /** Queries it logged, e.g. `query[MX] mail.test from 127.0.0.1`. */
  queries(): string[];
  stop(): Promise<void>;
}

/** `records`: dnsmasq options such as `--host-record=a.test,10.0.0.1` or `--mx-host=m.test,mail.m.test,10`. */
export async function startDnsmasq(records: string[]): Promise<RunningDnsmasq> {
  if (!existsSync(DNSMASQ)) throw new Error(`${DNSMASQ} is missing: run \`bash tools/checks/install.sh\` (npm run setup does; Debian package dnsmasq-base)`);
  const port = await freePort();
  const args = ['--keep-in-foreground', '--log-facility=-', '--log-queries', '--conf-file=/dev/null', '--pid-file=', `--port=${port}`];
  args.push('--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--local=/test/', ...records);
  const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const collect = (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const authority = `127.0.0.1:${port}`;
  await answering(authority, () => child.exitCode !== null, () => log.join('\n'));
  return {
    authority,
    queries: () => log.filter((line) => /query\[/.test(line)).map((line) => line.replace(/^dnsmasq\[\d+\]: /, '')),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function answering(authority: string, exited: () => boolean, logs: () => string): Promise<void> {
  const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([authority]);
  for (const until = Date.now() + 10_000; Date.now() < until && !exited(); ) {
    try {
      await resolver.resolve4('ready.probe.test');
    } catch (error) {
      // NXDOMAIN is an answer: it is serving.
      if ((error as NodeJS.ErrnoException).code === dns.NOTFOUND) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dnsmasq did not answer on ${authority}:\n${logs()}`);
}
