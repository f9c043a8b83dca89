import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { EnvironmentName } from '../../common/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { EnvironmentEnum } from '../../graphql/enums.js';
import type { ImportSummary } from './config-import.js';

@InputType({ description: 'An old monitor config.json to import.' })
class ImportConfigInput {
  @Field(() => GraphQLJSON, { description: 'The whole config.json document: { "targets": [...] }.' }) config!: unknown;
  @Field(() => EnvironmentEnum, { defaultValue: 'production' }) environment!: EnvironmentName;
  @Field({ defaultValue: 'default' }) region!: string;
  @Field({ defaultValue: false, description: 'Report what would change and write nothing.' }) dryRun!: boolean;
}

@ObjectType()
class ImportCounts {
  @Field(() => Int) created!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int) unchanged!: number;
  @Field(() => [String]) ids!: string[];
}

@ObjectType({ description: 'A target that was not imported, and why.' })
class RejectedTarget {
  @Field(() => Int, { description: 'Position in targets[], from 0.' }) index!: number;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field({ description: 'The field of the target at fault, as config.json names it.' }) field!: string;
  @Field() message!: string;
}

@ObjectType('ImportSummary')
class ImportSummaryType {
  @Field({ name: 'dryRun' }) dryRun!: boolean;
  @Field(() => Int) targets!: number;
  @Field(() => ImportCounts) hosts!: ImportCounts;
  @Field(() => ImportCounts) services!: ImportCounts;
  @Field(() => [RejectedTarget]) rejected!: RejectedTarget[];
}

@Resolver()
export class ImportResolver {
  @Authorized('admin')
  @Mutation(() => ImportSummaryType, { description: 'Imports an old config.json: idempotent; bad targets are reported while good ones import.' })
  importConfig(@Arg('input') input: ImportConfigInput, @Ctx() { domain }: GraphQLContext): Promise<ImportSummary> {
    return domain.importer.import(input.config, { environment: input.environment, region: input.region, dryRun: input.dryRun });
  }
}
