/**
 * A small fault-injecting SSH server for tests, built on ssh2's own `Server`.
 * It listens on 127.0.0.1 (a free port) with a plain TCP server and hands each
 * socket to ssh2 with `injectSocket`, which lets it delay the SSH banner and
 * cut a connection mid-command.
 *
 *   const server = await startFaultSshServer('ok');
 *   // host: { ip 127.0.0.1, port: server.port, host_key_fingerprint: server.hostKeyFingerprint }
 *   server.mode = 'hang-exec';
 *   await server.stop();
 *
 * Modes (read per connection / per exec, so switching takes effect at once):
 *  - 'ok': any public key is accepted; `systemctl show ...` prints
 *    `ActiveState=active\nSubState=running\nMainPID=1\n` and exits 0; any other
 *    command exits 127.
 *  - 'auth-fail': every authentication attempt is rejected.
 *  - 'hang-exec': exec is accepted, then nothing: no output, no exit, no close.
 *  - 'disconnect-mid-command': exec writes part of the output, then the TCP
 *    connection is destroyed.
 *  - 'slow-banner': the accepted TCP socket waits `bannerDelayMs` before ssh2
 *    sees it (so the identification string is late); otherwise as 'ok'.
 */
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Server, utils, type Connection, type ServerChannel } from 'ssh2';

export type FaultMode = 'ok' | 'auth-fail' | 'hang-exec' | 'disconnect-mid-command' | 'slow-banner';

export interface FaultSshServer {
  readonly port: number;
  /** `SHA256:<unpadded base64>` of the host key blob, as OpenSSH prints it. */
  readonly hostKeyFingerprint: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...` */
  readonly knownHostsLine: string;
  mode: FaultMode;
  bannerDelayMs: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Commands received over exec, in order. */
  readonly commands: string[];
  stop(): Promise<void>;
}

export const OK_OUTPUT = 'ActiveState=active\nSubState=running\nMainPID=1\n';

export async function startFaultSshServer(mode: FaultMode = 'ok', options: { bannerDelayMs?: number } = {}): Promise<FaultSshServer> {
  const hostKeys = parseableEd25519KeyPair();
  const parsed = utils.parseKey(hostKeys.private);
  if (parsed instanceof Error) throw parsed;
  const blob = parsed.getPublicSSH();
  const hostKeyFingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

  const sockets = new Set<Socket>();
  const byRemotePort = new Map<number, Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const commands: string[] = [];
  let connections = 0;

  const state = { mode, bannerDelayMs: options.bannerDelayMs ?? 3_000 };

  const ssh = new Server({ hostKeys: [hostKeys.private] }, (client: Connection, info) => {
    const socket = byRemotePort.get(info.port);
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (state.mode === 'auth-fail') return ctx.reject();
      if (ctx.method === 'publickey') return ctx.accept();
      return ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, request) => {
          commands.push(request.command);
          const stream: ServerChannel = accept();
          stream.on('error', () => {});
          switch (state.mode) {
            case 'hang-exec':
              return; // never answer, never close
            case 'disconnect-mid-command': {
              stream.write('ActiveState=act');
              const timer = setTimeout(() => {
                timers.delete(timer);
                socket?.destroy();
              }, 20);
              timers.add(timer);
              return;
            }
            default:
              if (/^(sudo -n )?systemctl show\b/.test(request.command)) {
                stream.write(OK_OUTPUT);
                stream.exit(0);
              } else {
                stream.stderr.write(`unknown command: ${request.command}\n`);
                stream.exit(127);
              }
              stream.end();
          }
        });
      });
    });
  });

  const tcp = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      if (socket.remotePort !== undefined && byRemotePort.get(socket.remotePort) === socket) byRemotePort.delete(socket.remotePort);
    });
    if (socket.remotePort !== undefined) byRemotePort.set(socket.remotePort, socket);
    if (state.mode === 'slow-banner') {
      socket.pause();
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!socket.destroyed) ssh.injectSocket(socket);
      }, state.bannerDelayMs);
      timers.add(timer);
    } else {
      ssh.injectSocket(socket);
    }
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(0, '127.0.0.1', () => resolve());
  });
  const address = tcp.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let stopped: Promise<void> | undefined;
  return {
    port,
    hostKeyFingerprint,
    knownHostsLine: `[127.0.0.1]:${port} ssh-ed25519 ${blob.toString('base64')}`,
    get mode() {
      return state.mode;
    },
    set mode(value: FaultMode) {
      state.mode = value;
    },
    get bannerDelayMs() {
      return state.bannerDelayMs;
    },
    set bannerDelayMs(value: number) {
      state.bannerDelayMs = value;
    },
    get connections() {
      return connections;
    },
    commands,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        timers.forEach(clearTimeout);
        timers.clear();
        tcp.close(() => resolve());
        sockets.forEach((socket) => socket.destroy());
      });
      return stopped;
    },
  };
}

/**
 * An ed25519 key pair ssh2 can read back. ssh2 1.17's generator strips leading
 * zero bytes from the public key, so about 1 pair in 256 fails its own parser
 * ("Malformed OpenSSH ... key"; mscdex/ssh2 issues #1390, #1513): draw again.
 */
export function parseableEd25519KeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}
