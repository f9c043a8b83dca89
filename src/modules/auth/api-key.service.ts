import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConflictError, InvalidInputError, NotFoundError } from '../../common/errors.js';
import { EventBus } from '../../events/event-bus.js';
import { activeKeyQuery, ApiKeyModel, isActiveKey, readApiKey, type ApiKey } from './api-key.model.js';
import { changeActiveAdminKey } from './last-admin-guard.js';
import { ROLES, type Role } from './roles.js';

export interface Caller {
  keyId: string;
  role: Role;
  /** The key's name, for the audit log. */
  name?: string;
}

export interface IssuedKey {
  apiKey: ApiKey;
  /** The whole key, `smk_<keyId>_<secret>`; it cannot be read again. */
  secret: string;
}

export interface KeyOptions {
  /** From then on the key is refused, as if revoked; null or unset: never. */
  expiresAt?: Date | null;
}

export interface KeyPatch {
  name?: string;
  role?: Role;
}

const PREFIX = 'smk';
const KEY_FORMAT = /^smk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;
// Keys are used on every request; last_used_at is refreshed at most this often per key.
const LAST_USED_RESOLUTION_MS = 60_000;
// A key changed concurrently by others is looked at again at most this often before giving up.
const CHANGE_TRIES = 5;
/**
 * How long a key read for one request answers for the next ones of this process. Every request needs its key, and
 * the read was most of a small request's cost; a revocation or role change made by this process applies at once, one
 * made elsewhere (another API process, the keys CLI) within this time.
 */
export const KEY_CACHE_MS = 2_000;
const KEY_CACHE_ENTRIES = 10_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The key id a presented bearer token claims (unverified), or null when it is not shaped like a key. */
export function claimedKeyId(presented: string): string | null {
  return KEY_FORMAT.exec(presented)?.[1] ?? /^smk_([a-f0-9]{16})_/.exec(presented)?.[1] ?? null;
}

/**
 * API keys are 256-bit random secrets, so a plain SHA-256 is enough to store
 * them (no password hashing needed): a database leak gives no usable key.
 * The last active admin key can be neither revoked nor demoted (see last-admin-guard.ts).
 */
export class ApiKeyService {
  private readonly recent = new Map<string, { key: ApiKey; readAt: number }>();

  /** `events` hears `api-key.revoked`, so live connections made with a revoked key are closed. */
  constructor(
    private readonly events: EventBus = new EventBus(),
    private readonly cacheMs = KEY_CACHE_MS,
  ) {}

  async issue(name: string, role: Role, options: KeyOptions = {}, now = new Date()): Promise<IssuedKey> {
    if (!ROLES.includes(role)) throw InvalidInputError.single('role', `must be one of ${ROLES.join(', ')}`);
    validateName(name);
    const expiresAt = options.expiresAt ?? null;
    if (expiresAt && !(+expiresAt > +now)) throw InvalidInputError.single('expires_at', 'must be in the future');
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const apiKey = await ApiKeyModel.create({ key_id: keyId, name: name.trim(), role, secret_sha256: sha256(secret), expires_at: expiresAt });
    return { apiKey: readApiKey(apiKey.toObject()), secret: `${PREFIX}_${keyId}_${secret}` };
  }

  async list(): Promise<ApiKey[]> {
    return (await ApiKeyModel.find().sort({ created_at: 1, key_id: 1 }).lean<ApiKey[]>()).map(readApiKey);
  }

  async get(keyId: string): Promise<ApiKey | null> {
    const key = await ApiKeyModel.findOne({ key_id: keyId }).lean<ApiKey>();
    return key && readApiKey(key);
  }

  /** Revokes a key at once (revoking a revoked key changes nothing); the last active admin key is refused (CONFLICT). */
  async revoke(keyId: string, now = new Date()): Promise<ApiKey> {
    for (let attempt = 0; attempt < CHANGE_TRIES; attempt++) {
      const key = await this.require(keyId);
      if (key.revoked_at) return key;
      const revoked =
        key.role === 'admin' && isActiveKey(key, now)
          ? await changeActiveAdminKey(keyId, { revoked_at: now })
          : // Takes no active admin key away; guarded on the role it was decided on (a key made admin meanwhile is looked at again).
            await ApiKeyModel.findOneAndUpdate({ key_id: keyId, revoked_at: null, role: key.role }, { $set: { revoked_at: now } }, { returnDocument: 'after' }).lean<ApiKey>();
      if (revoked) {
        this.recent.delete(keyId);
        this.events.publish('api-key.revoked', { key_id: keyId, at: now });
        return readApiKey(revoked);
      }
    }
    throw new ConflictError(`API key '${keyId}' kept changing while it was being revoked; try again`);
  }

  /** Renames a key or gives it another role; demoting the last active admin key is refused (CONFLICT). */
  async update(keyId: string, patch: KeyPatch, now = new Date()): Promise<ApiKey> {
    if (patch.role !== undefined && !ROLES.includes(patch.role)) throw InvalidInputError.single('role', `must be one of ${ROLES.join(', ')}`);
    if (patch.name !== undefined) validateName(patch.name);
    const set: Partial<Pick<ApiKey, 'name' | 'role'>> = {};
    if (patch.name !== undefined) set.name = patch.name.trim();
    if (patch.role !== undefined) set.role = patch.role;
    for (let attempt = 0; attempt < CHANGE_TRIES; attempt++) {
      const key = await this.require(keyId);
      if (key.revoked_at) throw new ConflictError(`API key '${keyId}' is revoked and cannot be changed`);
      if (Object.keys(set).length === 0) return key;
      const demotes = set.role !== undefined && set.role !== 'admin' && key.role === 'admin' && isActiveKey(key, now);
      const changed = demotes
        ? await changeActiveAdminKey(keyId, set)
        : await ApiKeyModel.findOneAndUpdate({ key_id: keyId, revoked_at: null, role: key.role }, { $set: set }, { returnDocument: 'after' }).lean<ApiKey>();
      if (changed) {
        this.recent.delete(keyId);
        return readApiKey(changed);
      }
    }
    throw new ConflictError(`API key '${keyId}' kept changing while it was being updated; try again`);
  }

  /** Which of these keys may no longer be used (revoked, expired, or gone). */
  async unusable(keyIds: readonly string[], now = new Date()): Promise<Set<string>> {
    const usable = await ApiKeyModel.find({ $and: [{ key_id: { $in: [...keyIds] } }, activeKeyQuery(now)] }, { key_id: 1 }).lean();
    const stillGood = new Set(usable.map((k) => k.key_id));
    return new Set(keyIds.filter((id) => !stillGood.has(id)));
  }

  /** The caller a bearer key stands for, or null for a malformed, unknown, revoked or expired key. */
  async authenticate(presented: string, now = new Date()): Promise<Caller | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const [, keyId, secret] = match;
    const key = await this.read(keyId!, now);
    if (!key || !isActiveKey(key, now)) return null;
    const expected = Buffer.from(key.secret_sha256, 'hex');
    if (!timingSafeEqual(expected, Buffer.from(sha256(secret!), 'hex'))) return null;
    if (!key.last_used_at || +now - +key.last_used_at > LAST_USED_RESOLUTION_MS) {
      key.last_used_at = now;
      await ApiKeyModel.updateOne({ key_id: keyId }, { $set: { last_used_at: now } });
    }
    return { keyId: key.key_id, role: key.role, name: key.name ?? '' };
  }

  /** The stored key, as read within the last `cacheMs` by this process (found keys only: a new key is usable at once). */
  private async read(keyId: string, now: Date): Promise<ApiKey | null> {
    const cached = this.recent.get(keyId);
    if (cached && +now - cached.readAt < this.cacheMs && +now >= cached.readAt) return cached.key;
    const key = await ApiKeyModel.findOne({ key_id: keyId }).lean<ApiKey>();
    if (!key || this.cacheMs <= 0) return key;
    if (this.recent.size >= KEY_CACHE_ENTRIES) this.recent.clear();
    this.recent.set(keyId, { key, readAt: +now });
    return key;
  }

  /** Why a presented key is refused (for the audit log): it does not say more than the refusal to the caller. */
  async refusalReason(presented: string | null, now = new Date()): Promise<string> {
    if (!presented) return 'no API key';
    const match = KEY_FORMAT.exec(presented);
    if (!match) return 'not an API key';
    const key = await ApiKeyModel.findOne({ key_id: match[1] }).lean<ApiKey>();
    if (!key) return 'unknown key';
    if (key.revoked_at) return 'revoked key';
    if (!isActiveKey(key, now)) return 'expired key';
    return 'wrong secret';
  }

  /** On first start (no key at all) issues one admin key, so a new user can begin at once. */
  async issueFirstAdminKey(): Promise<IssuedKey | null> {
    if ((await ApiKeyModel.countDocuments()) > 0) return null;
    return this.issue('first admin key (created at first start)', 'admin');
  }

  /** Deletes a key that was never handed out (the first key, when it could not be written where asked). */
  async discard(keyId: string): Promise<void> {
    await ApiKeyModel.deleteOne({ key_id: keyId, last_used_at: null });
  }

  private async require(keyId: string): Promise<ApiKey> {
    const key = await this.get(keyId);
    if (!key) throw new NotFoundError('API key', keyId);
    return key;
  }
}

function validateName(name: string): void {
  if (typeof name !== 'string' || !name.trim() || name.length > 128) throw InvalidInputError.single('name', 'must be 1-128 characters');
}
