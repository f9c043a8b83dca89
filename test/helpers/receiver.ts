import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  at: number;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer only after this long (a slow receiver, or one that times the sender out). */
  delayMs?: number;
}

/**
 * A real HTTP receiver on loopback: records every request and answers with the queued answers in turn
 * (then 200). `validate` runs on each request; a non-null result is answered with 400 and that text, as a
 * provider answers a payload it does not accept.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly answers: Answer[] = [];
  private server!: Server;
  validate: (request: Received) => string | null = () => null;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(body);
        } catch {
          // not JSON
        }
        const request: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, at: Date.now() };
        this.received.push(request);
        const problem = this.validate(request);
        const answer: Answer = problem ? { status: 400, body: problem } : (this.answers.shift() ?? {});
        const reply = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status ?? 200, answer.headers ?? {});
          res.end(answer.body ?? 'ok');
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answerWith(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  reset(): void {
    this.received.length = 0;
    this.answers.length = 0;
    this.validate = () => null;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A receiver for this test file, started before its tests and stopped after. */
export function useReceiver(): Receiver {
  const receiver = new Receiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  return receiver;
}
