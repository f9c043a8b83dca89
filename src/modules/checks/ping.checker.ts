import { execFile } from 'node:child_process';
import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';
import { failed, succeeded, type Checker, type CheckOutcome } from './checker.js';

/** Echo requests per check, 0.2 s apart (the shortest interval iputils allows without privileges). */
const PACKETS = 3;

export interface PingFigures {
  transmitted: number;
  received: number;
  lossPercent: number;
  rttMs: { min: number; avg: number; max: number } | null;
}

/**
 * ICMP echo through the system's `ping` (iputils): `monitoring.target` `ping://name-or-address`, else the host's
 * address. Up when every packet came back, a warning when some were lost, stopped when none did; packet loss and
 * round trip are metrics. Run without a shell, the address as one argument (the URL parser made it a host name).
 */
export class PingChecker implements Checker {
  readonly method = 'ping' as const;

  async check(service: Service, host: Host, signal: AbortSignal): Promise<CheckOutcome> {
    const address = service.monitoring.target ? new URL(service.monitoring.target).hostname.replace(/^\[|\]$/g, '') : host.ip_address;
    // Done a second before the engine gives up on the check, so a slow reply is a loss, not a timeout.
    const deadline = Math.max(1, Math.floor(service.monitoring.timeout_sec) - 1);
    const { code, stdout, stderr, missing } = await runPing(['-n', '-q', '-c', String(PACKETS), '-i', '0.2', '-w', String(deadline), address], signal);
    if (signal.aborted) throw signal.reason;
    if (missing) return failed('unknown', 'ping is not installed on the monitor (Debian: iputils-ping)', 'definitive');
    const figures = parsePing(stdout);
    if (!figures) return failed(code === 2 ? 'error' : 'stopped', `ping ${address}: ${firstLine(stderr) || firstLine(stdout) || `exit code ${code}`}`, code === 2 ? 'definitive' : 'transient');
    const metrics = {
      custom: {
        packet_loss_percent: figures.lossPercent,
        packets_received: figures.received,
        ...(figures.rttMs ? { rtt_min_ms: figures.rttMs.min, rtt_avg_ms: figures.rttMs.avg, rtt_max_ms: figures.rttMs.max } : {}),
      },
    };
    if (figures.received === 0) return failed('stopped', `no reply from ${address} (${figures.transmitted} packets, 100% loss)`, 'transient', { metrics });
    if (figures.received < figures.transmitted) return succeeded({ status: 'warning', error: `${figures.lossPercent}% packet loss to ${address}`, metrics });
    return succeeded({ metrics });
  }
}

/** The summary iputils prints: "3 packets transmitted, 3 received, 0% packet loss" and "rtt min/avg/max/mdev = a/b/c/d ms". */
export function parsePing(output: string): PingFigures | null {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received.*?([\d.]+)% packet loss/.exec(output);
  if (!counts) return null;
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/[\d.]+ ms/.exec(output);
  return {
    transmitted: Number(counts[1]),
    received: Number(counts[2]),
    lossPercent: Number(counts[3]),
    rttMs: rtt ? { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]) } : null,
  };
}

const firstLine = (text: string) => text.trim().split('\n')[0]?.slice(0, 200) ?? '';

function runPing(args: string[], signal: AbortSignal): Promise<{ code: number; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile('ping', args, { signal, timeout: 0, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), missing: (error as NodeJS.ErrnoException | null)?.code === 'ENOENT' });
    });
  });
}
