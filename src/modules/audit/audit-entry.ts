import { Types } from 'mongoose';
import { DomainError } from '../../common/errors.js';
import { redactValue } from '../../common/secrets.js';
import type { Role } from '../auth/roles.js';
import type { AuditActorType, AuditChannel, AuditOutcome, AuditRecord, AuditTarget } from './audit.model.js';

export interface AuditActorValue {
  type: AuditActorType;
  key_id?: string | null;
  name?: string | null;
  role?: Role | null;
}

/** The server acting on its own (`what`: which part of it). */
export const systemActor = (what: string): AuditActorValue => ({ type: 'system', name: what });

/** What to record; secrets are redacted and targets found when it is written, off the request's path. */
export interface AuditEntry {
  at?: Date;
  actor: AuditActorValue;
  channel: AuditChannel;
  operation: string;
  operationName?: string | null;
  /** As given (GraphQL arguments, CLI options): redacted when written. */
  arguments?: unknown;
  /** The entry's targets, or how to find them (called when written). */
  targets?: AuditTarget[] | (() => AuditTarget[]);
  outcome: AuditOutcome;
  errorCode?: string | null;
  message?: string | null;
  clientAddress?: string | null;
  count?: number;
  /** Made in advance when the record will be updated later (counted failures). */
  id?: Types.ObjectId;
}

/** Largest JSON text of arguments kept; longer ones (a whole imported config) are cut there. */
export const MAX_ARGUMENTS_CHARS = 32 * 1024;
/** Most targets one record names. */
export const MAX_TARGETS = 100;

/** `smk_<keyId>_<secret>`: a key's secret, wherever it turns up in text. */
const KEY_SECRET = /\b(smk_[a-f0-9]{16}_)[A-Za-z0-9_-]{10,}/g;

/** The stored record for an entry: arguments redacted and capped, targets found and capped. */
export function toAuditRecord(entry: AuditEntry, retentionDays: number, now = new Date()): AuditRecord {
  const at = entry.at ?? now;
  return {
    _id: entry.id ?? new Types.ObjectId(),
    at,
    actor: { type: entry.actor.type, key_id: entry.actor.key_id ?? null, name: entry.actor.name ?? null, role: entry.actor.role ?? null },
    channel: entry.channel,
    operation: entry.operation,
    operation_name: entry.operationName ?? null,
    arguments_json: argumentsJson(entry.arguments),
    targets: uniqueTargets(typeof entry.targets === 'function' ? entry.targets() : (entry.targets ?? [])),
    outcome: entry.outcome,
    error_code: entry.errorCode ?? null,
    message: entry.message === null || entry.message === undefined ? null : maskKeySecrets(String(entry.message)).slice(0, 2000),
    client_address: entry.clientAddress ?? null,
    count: entry.count ?? 1,
    last_at: null,
    expires_at: new Date(+at + retentionDays * 86_400_000),
  };
}

/** Arguments fit to keep: secret fields `***`, credentials in targets masked, key secrets cut to their id. */
export function redactArguments(value: unknown): unknown {
  return maskKeySecretsDeep(redactValue(value));
}

function argumentsJson(value: unknown): string | null {
  if (value === undefined) return null;
  let text: string;
  try {
    text = JSON.stringify(redactArguments(value)) ?? 'null';
  } catch {
    return JSON.stringify('(arguments could not be recorded)');
  }
  // Cut text is no longer JSON; the API hands it out as a string.
  return text.length > MAX_ARGUMENTS_CHARS ? `${text.slice(0, MAX_ARGUMENTS_CHARS)}…(cut: ${text.length} characters)` : text;
}

function maskKeySecrets(text: string): string {
  return text.replace(KEY_SECRET, '$1***');
}

function maskKeySecretsDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskKeySecrets(value);
  if (value === null || typeof value !== 'object' || depth > 16 || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => maskKeySecretsDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskKeySecretsDeep(inner, depth + 1)]));
}

function uniqueTargets(targets: AuditTarget[]): AuditTarget[] {
  const seen = new Map<string, AuditTarget>();
  for (const target of targets) {
    if (seen.size >= MAX_TARGETS) break;
    seen.set(`${target.type}\u0000${target.id}`, { type: target.type, id: target.id });
  }
  return [...seen.values()];
}

/** Argument and result fields that name what a mutation acted on, as the API and the database spell them. */
const TARGET_FIELDS: Readonly<Record<string, string>> = {
  hostId: 'host',
  host_id: 'host',
  serviceId: 'service',
  service_id: 'service',
  deletedServiceIds: 'service',
  keyId: 'api_key',
  key_id: 'api_key',
  env_name: 'environment',
};

/**
 * What a mutation acted on: the ids among its arguments (and their `input`), and among its result
 * (a created host's host_id, a new key's key_id, the services a host took with it). Environments are
 * named by `name` in their own mutations.
 */
export function mutationTargets(field: string, args: Record<string, unknown>, result: unknown): AuditTarget[] {
  const found: AuditTarget[] = [];
  collect(args, 0, found);
  collect(result, 0, found);
  if (/Environment$/.test(field)) {
    const input = args.input as Record<string, unknown> | undefined;
    for (const name of [args.name, input?.name]) if (typeof name === 'string') found.push({ type: 'environment', id: name });
    if (typeof result === 'string') found.push({ type: 'environment', id: result });
  }
  return found;
}

/** Ids under TARGET_FIELDS, two levels down at most (`input.hostId`, `apiKey.key_id`, `check.service_id`). */
function collect(value: unknown, depth: number, found: AuditTarget[]): void {
  if (value === null || typeof value !== 'object' || depth > 2 || Array.isArray(value) || value instanceof Date || '_bsontype' in value) return;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const type = TARGET_FIELDS[key];
    if (type && typeof inner === 'string') {
      found.push({ type, id: inner });
    } else if (type && Array.isArray(inner)) {
      for (const id of inner.slice(0, MAX_TARGETS)) if (typeof id === 'string') found.push({ type, id });
    } else if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      collect(inner, depth + 1, found);
    }
  }
}

/** The code a client saw for this error (as the error formatter reports it). */
export function errorCodeOf(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string') return code;
  const original = (error as { originalError?: unknown } | null)?.originalError;
  if (original && original !== error) return errorCodeOf(original);
  return 'INTERNAL_SERVER_ERROR';
}
