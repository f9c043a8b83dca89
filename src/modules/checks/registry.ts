import type { CheckMethod } from '../../common/enums.js';
import type { Checker } from './checker.js';
import { CustomChecker, type CommandAllowList } from './custom.checker.js';
import { DatabaseChecker } from './database.checker.js';
import { DnsChecker } from './dns.checker.js';
import { HeartbeatChecker } from './heartbeat.checker.js';
import { HttpChecker, type HttpSettings } from './http.checker.js';
import { PingChecker } from './ping.checker.js';
import { SshChecker } from './ssh.checker.js';
import type { SshPool } from './ssh/ssh-pool.js';
import type { SshTargets } from './ssh/ssh-targets.js';
import { TcpChecker } from './tcp.checker.js';

export type CheckerRegistry = Readonly<Record<CheckMethod, Checker>>;

/** Every check protocol, registered in one place: a new method fails to compile until it is added here. */
export function createCheckers(ssh: SshPool, targets: SshTargets, customCommands: CommandAllowList, http: HttpSettings = { maxRedirects: 5 }): CheckerRegistry {
  return {
    ssh: new SshChecker(ssh, targets),
    http: new HttpChecker(http),
    tcp: new TcpChecker(),
    database: new DatabaseChecker(),
    custom: new CustomChecker(ssh, targets, customCommands),
    ping: new PingChecker(),
    dns: new DnsChecker(),
    heartbeat: new HeartbeatChecker(),
  };
}
