import { Arg, Authorized, Ctx, Field, FieldResolver, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { RoleEnum } from '../../graphql/enums.js';
import { ApiKey, isActiveKey } from './api-key.model.js';
import type { IssuedKey } from './api-key.service.js';
import type { Role } from './roles.js';

@ObjectType({ description: 'A new key; `secret` is shown this once and cannot be read again.' })
class IssuedApiKey {
  @Field(() => ApiKey, { name: 'apiKey' }) apiKey!: ApiKey;
  @Field({ description: 'Send as `Authorization: Bearer <secret>`.' }) secret!: string;
}

@ObjectType({ description: 'The key the request was made with.' })
class Viewer {
  @Field() keyId!: string;
  @Field(() => RoleEnum) role!: Role;
}

@InputType({ description: 'What to change of a key; unset fields stay.' })
class ApiKeyUpdateInput {
  @Field({ nullable: true }) name?: string;
  @Field(() => RoleEnum, { nullable: true, description: 'Demoting the last active admin key is refused (CONFLICT).' }) role?: Role;
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized('viewer')
  @Query(() => Viewer, { description: 'Who is calling.' })
  viewer(@Ctx() { caller }: GraphQLContext): Viewer {
    return { keyId: caller.keyId, role: caller.role };
  }

  @Authorized('admin')
  @Query(() => [ApiKey])
  apiKeys(@Ctx() { apiKeys }: GraphQLContext): Promise<ApiKey[]> {
    return apiKeys.list();
  }

  @Authorized('admin')
  @FieldResolver(() => Boolean, { description: 'Neither revoked nor expired: requests with it are served.' })
  active(@Root() key: ApiKey): boolean {
    return isActiveKey(key);
  }

  @Authorized('admin')
  @Mutation(() => IssuedApiKey)
  createApiKey(
    @Arg('name') name: string,
    @Arg('role', () => RoleEnum) role: Role,
    @Arg('expiresAt', () => Date, { nullable: true, description: 'From then on the key is refused, as if revoked; unset: never.' }) expiresAt: Date | null | undefined,
    @Ctx() { apiKeys }: GraphQLContext,
  ): Promise<IssuedKey> {
    return apiKeys.issue(name, role, { expiresAt });
  }

  @Authorized('admin')
  @Mutation(() => ApiKey, { description: 'Renames a key or changes its role; demoting the last active admin key is refused (CONFLICT).' })
  updateApiKey(@Arg('keyId') keyId: string, @Arg('input') input: ApiKeyUpdateInput, @Ctx() { apiKeys }: GraphQLContext): Promise<ApiKey> {
    return apiKeys.update(keyId, { name: input.name ?? undefined, role: input.role ?? undefined });
  }

  @Authorized('admin')
  @Mutation(() => ApiKey, { description: 'Revokes a key at once; requests with it are refused from then on. The last active admin key cannot be revoked (CONFLICT).' })
  revokeApiKey(@Arg('keyId') keyId: string, @Ctx() { apiKeys }: GraphQLContext): Promise<ApiKey> {
    return apiKeys.revoke(keyId);
  }
}
