import type { Domain } from '../modules/domain.js';
import type { ApiKeyService, Caller } from '../modules/auth/api-key.service.js';
import type { CheckEngine } from '../modules/checks/engine.js';
import type { LiveConnection } from '../modules/live/live-connection.js';
import type { Deadline } from './limits.js';
import type { Loaders } from './loaders.js';

/** What every resolver gets: the domain, who is calling, and this request's batching loaders. */
export interface GraphQLContext {
  domain: Domain;
  apiKeys: ApiKeyService;
  engine: CheckEngine;
  caller: Caller;
  loaders: Loaders;
  /** Only on a WebSocket (graphql-ws) connection: what its subscriptions draw on. */
  live?: LiveConnection;
  /** When this operation (over the socket: this event's execution) must be done by; see enforceDeadlines. */
  deadline?: Deadline;
  /** Over HTTP: PUBLIC_URL, else the address the request came to (for URLs handed out, such as ping URLs). */
  origin?: string;
}
