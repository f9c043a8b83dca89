import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ObjectType } from 'type-graphql';
import { RoleEnum } from '../../graphql/enums.js';
import { oneOf } from '../../db/validators.js';
import { ROLES, type Role } from './roles.js';

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
}

export const ApiKeyModel = getModelForClass(ApiKey);
