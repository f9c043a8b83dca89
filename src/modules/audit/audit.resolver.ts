import 'reflect-metadata';
import { Args, ArgsType, Authorized, Ctx, Field, FieldResolver, InputType, Int, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection, perPage, toConnection, type ConnectionShape } from '../../graphql/connection.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { AuditActorTypeEnum, AuditOutcomeEnum, AuditRecord, type AuditActorType, type AuditOutcome } from './audit.model.js';

const AuditRecordConnection = Connection(AuditRecord, 'AuditRecord');

@InputType({ description: 'Every given criterion must hold.' })
class AuditLogFilterInput {
  @Field({ nullable: true, description: 'Records made with this API key.' }) actorKeyId?: string;
  @Field(() => AuditActorTypeEnum, { nullable: true }) actorType?: AuditActorType;
  @Field({ nullable: true, description: 'Records naming this id (a hostId, serviceId, keyId or environment name) among their targets.' }) targetId?: string;
  @Field({ nullable: true, description: 'With targetId: only targets of this type (host, service, api_key, environment).' }) targetType?: string;
  @Field({ nullable: true, description: 'The mutation (`createHost`), `authenticate`, `recovery` or `recoveryGaveUp`.' }) operation?: string;
  @Field(() => AuditOutcomeEnum, { nullable: true }) outcome?: AuditOutcome;
  @Field(() => Date, { nullable: true, description: 'At or after this instant.' }) since?: Date;
  @Field(() => Date, { nullable: true, description: 'Before this instant.' }) until?: Date;
}

@ArgsType()
class AuditLogArgs {
  @Field(() => AuditLogFilterInput, { nullable: true }) filter?: AuditLogFilterInput;
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
}

@Resolver(() => AuditRecord)
export class AuditResolver {
  @Authorized('admin')
  @Query(() => AuditRecordConnection, { complexity: perPage, description: 'Who changed what, refused keys, and what the server did on its own; newest first (admin only).' })
  async auditLog(@Args() { filter, first, after }: AuditLogArgs, @Ctx() { domain }: GraphQLContext): Promise<ConnectionShape<AuditRecord>> {
    return toConnection(AuditRecordConnection, await domain.audit.page({ ...filter }, { first, after }));
  }

  @Authorized('admin')
  @FieldResolver(() => String)
  id(@Root() record: AuditRecord): string {
    return String(record._id);
  }

  @Authorized('admin')
  @FieldResolver(() => GraphQLJSON, { nullable: true, description: 'The arguments as given, secrets `***`; text when they were too long to keep whole.' })
  arguments(@Root() record: AuditRecord): unknown {
    if (record.arguments_json === null || record.arguments_json === undefined) return null;
    try {
      return JSON.parse(record.arguments_json);
    } catch {
      return record.arguments_json;
    }
  }
}
