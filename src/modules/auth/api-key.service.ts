import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import { EventBus } from '../../events/event-bus.js';
import { ApiKeyModel, type ApiKey } from './api-key.model.js';
import { ROLES, type Role } from './roles.js';

export interface Caller {
  keyId: string;
  role: Role;
}

export interface IssuedKey {
  apiKey: ApiKey;
  /** The whole key, `smk_<keyId>_<secret>`; it cannot be read again. */
  secret: string;
}

const PREFIX = 'smk';
const KEY_FORMAT = /^smk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;
// Keys are used on every request; last_used_at is refreshed at most this often per key.
const LAST_USED_RESOLUTION_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * API keys are 256-bit random secrets, so a plain SHA-256 is enough to store
 * them (no password hashing needed): a database leak gives no usable key.
 */
export class ApiKeyService {
  /** `events` hears `api-key.revoked`, so live connections made with a revoked key are closed. */
  constructor(private readonly events: EventBus = new EventBus()) {}

  async issue(name: string, role: Role): Promise<IssuedKey> {
    if (!ROLES.includes(role)) throw InvalidInputError.single('role', `must be one of ${ROLES.join(', ')}`);
    if (!name.trim() || name.length > 128) throw InvalidInputError.single('name', 'must be 1-128 characters');
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const apiKey = await ApiKeyModel.create({ key_id: keyId, name: name.trim(), role, secret_sha256: sha256(secret) });
    return { apiKey: apiKey.toObject(), secret: `${PREFIX}_${keyId}_${secret}` };
  }

  async list(): Promise<ApiKey[]> {
    return ApiKeyModel.find().sort({ created_at: 1, key_id: 1 }).lean<ApiKey[]>();
  }

  async revoke(keyId: string, now = new Date()): Promise<ApiKey> {
    const key = await ApiKeyModel.findOneAndUpdate({ key_id: keyId, revoked_at: null }, { $set: { revoked_at: now } }, { returnDocument: 'after' }).lean<ApiKey>();
    if (key) {
      this.events.publish('api-key.revoked', { key_id: keyId, at: now });
      return key;
    }
    const existing = await ApiKeyModel.findOne({ key_id: keyId }).lean<ApiKey>();
    if (!existing) throw new NotFoundError('API key', keyId);
    return existing;
  }

  /** Which of these keys may no longer be used (revoked, or gone). */
  async unusable(keyIds: readonly string[]): Promise<Set<string>> {
    const usable = await ApiKeyModel.find({ key_id: { $in: [...keyIds] }, revoked_at: null }, { key_id: 1 }).lean();
    const stillGood = new Set(usable.map((k) => k.key_id));
    return new Set(keyIds.filter((id) => !stillGood.has(id)));
  }

  /** The caller a bearer key stands for, or null for a malformed, unknown or revoked key. */
  async authenticate(presented: string, now = new Date()): Promise<Caller | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const [, keyId, secret] = match;
    const key = await ApiKeyModel.findOne({ key_id: keyId }).lean<ApiKey>();
    if (!key || key.revoked_at) return null;
    const expected = Buffer.from(key.secret_sha256, 'hex');
    if (!timingSafeEqual(expected, Buffer.from(sha256(secret!), 'hex'))) return null;
    if (!key.last_used_at || +now - +key.last_used_at > LAST_USED_RESOLUTION_MS) {
      await ApiKeyModel.updateOne({ key_id: keyId }, { $set: { last_used_at: now } });
    }
    return { keyId: key.key_id, role: key.role };
  }

  /** On first start (no key at all) issues one admin key, so a new user can begin at once. */
  async issueFirstAdminKey(): Promise<IssuedKey | null> {
    if ((await ApiKeyModel.countDocuments()) > 0) return null;
    return this.issue('first admin key (created at first start)', 'admin');
  }
}
