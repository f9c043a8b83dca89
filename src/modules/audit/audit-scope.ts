import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditChannel } from './audit.model.js';
import type { AuditActorValue } from './audit-entry.js';

/** Who a piece of work is done for: set around each mutation's resolver, read by what records events it causes. */
export interface AuditScope {
  actor: AuditActorValue;
  channel: AuditChannel;
  clientAddress: string | null;
  operationName: string | null;
}

const storage = new AsyncLocalStorage<AuditScope>();

/** Runs `work` (and everything it starts) on behalf of `scope`. */
export function runInAuditScope<T>(scope: AuditScope, work: () => T): T {
  return storage.run(scope, work);
}

/** On whose behalf the current work is done; undefined for work the server does on its own. */
export function currentAuditScope(): AuditScope | undefined {
  return storage.getStore();
}
