import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ObjectType } from 'type-graphql';
import { RoleEnum } from '../../graphql/enums.js';
import { oneOf } from '../../db/validators.js';
import { ROLES, type Role } from './roles.js';

/**
 * A revocation or demotion of an admin key under way (see last-admin-guard.ts): set before the
 * other admins are counted, so two such changes at once each see the other's key as gone.
 */
export class PendingKeyChange {
  @prop({ required: true })
  public token!: string;

  /** After this, a process that set it is taken to have died; another change may take the key over. */
  @prop({ required: true })
  public until!: Date;
}

/** An API key as stored: only a SHA-256 of its secret, never the secret. */
@ObjectType({ description: 'An API key, without its secret (shown once, when created).' })
@modelOptions({ schemaOptions: { collection: 'api_keys', timestamps: { createdAt: 'created_at', updatedAt: false }, versionKey: false } })
@index({ key_id: 1 }, { unique: true })
export class ApiKey {
  @Field({ name: 'keyId', description: 'Public part of the key, also its id.' })
  @prop({ required: true })
  public key_id!: string;

  @Field({ description: 'What the key is for.' })
  @prop({ required: true, maxlength: 128 })
  public name!: string;

  @Field(() => RoleEnum)
  @prop({ required: true, type: String, validate: oneOf(ROLES) })
  public role!: Role;

  @prop({ required: true })
  public secret_sha256!: string;

  @Field(() => Date, { name: 'createdAt' })
  public created_at!: Date;

  @Field(() => Date, { name: 'lastUsedAt', nullable: true })
  @prop({ type: Date, default: null })
  public last_used_at!: Date | null;

  @Field(() => Date, { name: 'revokedAt', nullable: true, description: 'A revoked key authenticates nothing.' })
  @prop({ type: Date, default: null })
  public revoked_at!: Date | null;

  /** Not a TTL: an expired key stays listed (keys stored before expiry existed have none and never expire). */
  @Field(() => Date, { name: 'expiresAt', nullable: true, description: 'From then on the key authenticates nothing, as if revoked; null: never.' })
  @prop({ type: Date, default: null })
  public expires_at!: Date | null;

  /** Only while a revocation or demotion of this (admin) key is under way. */
  @prop({ type: () => PendingKeyChange, _id: false })
  public pending_change?: PendingKeyChange | null;
}

export const ApiKeyModel = getModelForClass(ApiKey);

/** Neither revoked nor expired at `now`. */
export function isActiveKey(key: Pick<ApiKey, 'revoked_at' | 'expires_at'>, now = new Date()): boolean {
  return !key.revoked_at && !(key.expires_at && +key.expires_at <= +now);
}

/** The query for keys neither revoked nor expired at `now` (a missing field reads as null: keys stored before it existed). */
export function activeKeyQuery(now = new Date()): Record<string, unknown> {
  return { revoked_at: null, $or: [{ expires_at: null }, { expires_at: { $gt: now } }] };
}

/** A key as stored by any version (or another tool): fields it lacks read as their defaults. */
export function readApiKey(stored: ApiKey): ApiKey {
  return {
    ...stored,
    name: stored.name ?? '',
    last_used_at: stored.last_used_at ?? null,
    revoked_at: stored.revoked_at ?? null,
    expires_at: stored.expires_at ?? null,
  };
}
