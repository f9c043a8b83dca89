/**
 * API keys from a shell with database access: the way back in when no admin key is left to use
 * (lost, expired), and for scripting.
 *
 *   service-monitor-keys create --role admin|operator|viewer --name <name> [--expires <ISO time> | --expires-in-days <n>] [--json]
 *   service-monitor-keys list [--json]
 *   service-monitor-keys revoke <keyId> [--json]
 *
 * `create` prints the secret once. Uses MONGODB_URI, else the embedded database a running server has
 * open (or starts it). Each change is written to the audit log (actor CLI, the OS user).
 * Exit codes: 0 done, 1 refused (unknown key, the last active admin key, bad values), 2 bad arguments
 * or no database.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { DomainError, InvalidInputError } from '../common/errors.js';
import { openCliDatabase } from './cli-database.js';
import { CLI_SETTINGS_HELP, packageVersion } from '../bin/command-line.js';
import type { AuditEntry } from '../modules/audit/audit-entry.js';
import { AuditService } from '../modules/audit/audit.service.js';
import { isActiveKey, type ApiKey } from '../modules/auth/api-key.model.js';
import { ApiKeyService } from '../modules/auth/api-key.service.js';
import { ROLES, type Role } from '../modules/auth/roles.js';
import type { CliIo } from './migrate-config.js';

const USAGE = [
  'usage: service-monitor-keys create --role admin|operator|viewer --name <name> [--expires <ISO time> | --expires-in-days <n>] [--json]',
  '       service-monitor-keys list [--json]',
  '       service-monitor-keys revoke <keyId> [--json]',
].join('\n');

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** What the CLI was asked to do, checked before the database is opened. */
type Command =
  | { name: 'create'; role: Role; keyName: string; expiresAt: Date | null }
  | { name: 'list' }
  | { name: 'revoke'; keyId: string };

class UsageError extends Error {}

/** Flag names for the fields the domain names in its errors. */
const FLAG_OF: Readonly<Record<string, string>> = { name: '--name', role: '--role', expires_at: '--expires' };

export async function keysCommand(argv: string[], io: CliIo = processIo, now = new Date()): Promise<number> {
  const fail = (message: string, code = 2) => {
    io.stderr(`service-monitor-keys: ${message}\n`);
    return code;
  };
  let args;
  let command: Command;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        name: { type: 'string' },
        expires: { type: 'string' },
        'expires-in-days': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
    if (args.values.help) {
      io.stdout(`${USAGE}\n\n${CLI_SETTINGS_HELP}\n`);
      return 0;
    }
    if (args.values.version) {
      io.stdout(`service-monitor-keys ${packageVersion()}\n`);
      return 0;
    }
    command = parseCommand(args.positionals, args.values, now);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return fail(`${(error as Error).message}\n${USAGE}`);
    throw error;
  }

  const opened = await openCliDatabase(io.env);
  if ('problem' in opened) return fail(opened.problem);
  const { config, logger, database } = opened;
  const keys = new ApiKeyService();
  const audit = new AuditService(config, logger);
  const json = args.values.json;
  const record = async (entry: Omit<AuditEntry, 'actor' | 'channel'>) => {
    try {
      await audit.recordNow({ ...entry, actor: { type: 'cli', name: osUser() }, channel: 'cli' });
    } catch (error) {
      io.stderr(`service-monitor-keys: warning: the audit log record could not be written: ${(error as Error).message}\n`);
    }
  };
  try {
    switch (command.name) {
      case 'list': {
        const listed = await keys.list();
        io.stdout(json ? `${JSON.stringify(listed.map((k) => toJson(k, now)), null, 2)}\n` : formatList(listed, now));
        return 0;
      }
      case 'create': {
        const args = { name: command.keyName, role: command.role, expiresAt: command.expiresAt };
        try {
          const issued = await keys.issue(command.keyName, command.role, { expiresAt: command.expiresAt }, now);
          await record({ operation: 'createApiKey', arguments: args, targets: [{ type: 'api_key', id: issued.apiKey.key_id }], outcome: 'success' });
          io.stdout(
            json
              ? `${JSON.stringify({ ...toJson(issued.apiKey, now), secret: issued.secret }, null, 2)}\n`
              : `Created ${command.role} key '${issued.apiKey.name}' (keyId ${issued.apiKey.key_id}${expiryText(issued.apiKey)}). The secret is shown this once:\n\n  ${issued.secret}\n\n` +
                  `Use it as "Authorization: Bearer <key>".\n`,
          );
          return 0;
        } catch (error) {
          if (error instanceof DomainError) await record({ operation: 'createApiKey', arguments: args, outcome: 'failure', errorCode: error.code, message: error.message });
          throw error;
        }
      }
      case 'revoke': {
        const target = [{ type: 'api_key', id: command.keyId }];
        try {
          const revoked = await keys.revoke(command.keyId, now);
          await record({ operation: 'revokeApiKey', arguments: { keyId: command.keyId }, targets: target, outcome: 'success' });
          io.stdout(json ? `${JSON.stringify(toJson(revoked, now), null, 2)}\n` : `Revoked key ${revoked.key_id} ('${revoked.name}', ${revoked.role}) at ${revoked.revoked_at!.toISOString()}.\n`);
          return 0;
        } catch (error) {
          if (error instanceof DomainError) await record({ operation: 'revokeApiKey', arguments: { keyId: command.keyId }, targets: target, outcome: 'failure', errorCode: error.code, message: error.message });
          throw error;
        }
      }
    }
  } catch (error) {
    if (error instanceof InvalidInputError) return fail(error.problems.map((p) => `${FLAG_OF[p.field] ?? p.field}: ${p.message}`).join('; '), 1);
    if (error instanceof DomainError) return fail(error.message, 1);
    throw error;
  } finally {
    await database.close();
  }
}

function parseCommand(positionals: string[], values: Record<string, string | boolean | undefined>, now: Date): Command {
  const [name, ...rest] = positionals;
  const flag = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const refuseFlags = (...keys: string[]) => {
    const given = keys.filter((key) => values[key] !== undefined);
    if (given.length > 0) throw new UsageError(`${name} takes no ${given.map((key) => `--${key}`).join(', ')}`);
  };
  switch (name) {
    case 'create': {
      if (rest.length > 0) throw new UsageError(`create takes no other arguments, got '${rest.join(' ')}'`);
      const role = flag('role');
      if (!role) throw new UsageError('create needs --role');
      if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got '${role}'`);
      const keyName = flag('name');
      if (keyName === undefined) throw new UsageError('create needs --name (what the key is for)');
      return { name: 'create', role: role as Role, keyName, expiresAt: expiry(flag('expires'), flag('expires-in-days'), now) };
    }
    case 'list':
      if (rest.length > 0) throw new UsageError(`list takes no other arguments, got '${rest.join(' ')}'`);
      refuseFlags('role', 'name', 'expires', 'expires-in-days');
      return { name: 'list' };
    case 'revoke':
      if (rest.length !== 1) throw new UsageError('revoke needs exactly one keyId');
      refuseFlags('role', 'name', 'expires', 'expires-in-days');
      return { name: 'revoke', keyId: rest[0]! };
    case undefined:
      throw new UsageError('name a command: create, list or revoke');
    default:
      throw new UsageError(`unknown command '${name}'`);
  }
}

function expiry(at: string | undefined, inDays: string | undefined, now: Date): Date | null {
  if (at !== undefined && inDays !== undefined) throw new UsageError('give --expires or --expires-in-days, not both');
  if (at !== undefined) {
    const date = new Date(at);
    if (!/^\d{4}-\d\d-\d\d/.test(at) || Number.isNaN(+date)) throw new UsageError(`--expires must be an ISO 8601 time (2027-01-31 or 2027-01-31T12:00:00Z), got '${at}'`);
    return date;
  }
  if (inDays !== undefined) {
    if (!/^\d+$/.test(inDays) || Number(inDays) < 1 || Number(inDays) > 36_500) throw new UsageError(`--expires-in-days must be a whole number of days from 1 to 36500, got '${inDays}'`);
    return new Date(+now + Number(inDays) * 86_400_000);
  }
  return null;
}

function osUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? null;
  }
}

function stateOf(key: ApiKey, now: Date): string {
  if (key.revoked_at) return 'revoked';
  return isActiveKey(key, now) ? 'active' : 'expired';
}

function toJson(key: ApiKey, now: Date) {
  return {
    keyId: key.key_id,
    name: key.name,
    role: key.role,
    state: stateOf(key, now),
    createdAt: key.created_at?.toISOString() ?? null,
    lastUsedAt: key.last_used_at?.toISOString() ?? null,
    expiresAt: key.expires_at?.toISOString() ?? null,
    revokedAt: key.revoked_at?.toISOString() ?? null,
  };
}

const expiryText = (key: ApiKey) => (key.expires_at ? `, expires ${key.expires_at.toISOString()}` : '');

function formatList(keys: ApiKey[], now: Date): string {
  if (keys.length === 0) return 'No API keys.\n';
  const rows = [
    ['KEY ID', 'ROLE', 'STATE', 'EXPIRES', 'LAST USED', 'NAME'],
    ...keys.map((k) => [k.key_id, k.role, stateOf(k, now), k.expires_at?.toISOString() ?? '-', k.last_used_at?.toISOString() ?? '-', k.name]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')}\n`;
}
