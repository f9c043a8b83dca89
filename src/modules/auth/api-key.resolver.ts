import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { RoleEnum } from '../../graphql/enums.js';
import { ApiKey } from './api-key.model.js';
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

@Resolver()
export class ApiKeyResolver {
  @Authorized('viewer')
  @Query(() => Viewer, { description: 'Who is calling.' })
  viewer(@Ctx() { caller }: GraphQLContext): Viewer {
    return caller;
  }

  @Authorized('admin')
  @Query(() => [ApiKey])
  apiKeys(@Ctx() { apiKeys }: GraphQLContext): Promise<ApiKey[]> {
    return apiKeys.list();
  }

  @Authorized('admin')
  @Mutation(() => IssuedApiKey)
  createApiKey(@Arg('name') name: string, @Arg('role', () => RoleEnum) role: Role, @Ctx() { apiKeys }: GraphQLContext): Promise<IssuedKey> {
    return apiKeys.issue(name, role);
  }

  @Authorized('admin')
  @Mutation(() => ApiKey, { description: 'Revokes a key at once; requests with it are refused from then on.' })
  revokeApiKey(@Arg('keyId') keyId: string, @Ctx() { apiKeys }: GraphQLContext): Promise<ApiKey> {
    return apiKeys.revoke(keyId);
  }
}
