import { connect } from 'node:net';
import type { Service } from '../services/service.model.js';
import { maskTarget } from '../../common/secrets.js';
import { failed, failureKindOf, succeeded, type Checker, type CheckOutcome } from './checker.js';

/** Up when a TCP connection to `tcp://host:port` opens within the timeout. */
export class TcpChecker implements Checker {
  readonly method = 'tcp' as const;

  check(service: Service, _host: unknown, signal: AbortSignal): Promise<CheckOutcome> {
    const url = new URL(service.monitoring.target!);
    const port = Number(url.port);
    // Misconfigured: the check cannot run at all.
    // The target as anyone may read it: credentials in it are masked (check errors reach every role).
    if (!port) return Promise.resolve(failed('unknown', `no port in ${maskTarget(service.monitoring.target!)}`, 'definitive'));
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
      const onAbort = () => {
        socket.destroy();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.end();
        resolve(succeeded());
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        signal.removeEventListener('abort', onAbort);
        resolve(failed('stopped', `TCP connect to ${url.host} failed: ${error.code ?? error.message}`, failureKindOf(error)));
      });
    });
  }
}
