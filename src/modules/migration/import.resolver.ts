import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { EnvironmentName } from '../../common/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { EnvironmentEnum } from '../../graphql/enums.js';
import type { ImportSummary } from './config-import.js';

@InputType({ description: 'An old monitor config.json to import.' })
class ImportConfigInput {
  @Field(() => GraphQLJSON, { description: 'The whole config.json document: { "targets": [...] }.' }) config!: unknown;
  // Nullable without a default so that leaving it out is a BAD_USER_INPUT naming `environment`, not a silent PRODUCTION.
  @Field(() => EnvironmentEnum, {
    nullable: true,
    description: 'The environment of every target: required (config.json does not say); left out, the import is refused.',
  })
  environment?: EnvironmentName | null;
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

@ObjectType({ description: 'One thing to say about a target of config.json: a reason it was rejected, or a warning.' })
class ConfigTargetProblem {
  @Field({ description: 'The field of the target, as config.json names it (`ssh.port`), or `(target)` for the target as a whole.' }) field!: string;
  @Field() message!: string;
}

@ObjectType({ description: 'A target of config.json and all there is to say about it.' })
class ConfigTargetReport {
  @Field(() => Int, { description: 'Position in targets[], from 0.' }) index!: number;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => [ConfigTargetProblem]) problems!: ConfigTargetProblem[];
}

@ObjectType('ImportSummary')
export class ImportSummaryType {
  @Field({ name: 'dryRun' }) dryRun!: boolean;
  @Field(() => Int) targets!: number;
  @Field(() => ImportCounts) hosts!: ImportCounts;
  @Field(() => ImportCounts) services!: ImportCounts;
  @Field(() => [ConfigTargetReport], { description: 'Targets not imported: one entry a target, with every problem it has.' }) rejected!: ConfigTargetReport[];
  @Field(() => [ConfigTargetReport], { description: 'Targets with fields the import ignored (not config.json fields), one entry a target.' })
  warnings!: ConfigTargetReport[];
}

@Resolver()
export class ImportResolver {
  @Authorized('admin')
  @Mutation(() => ImportSummaryType, { description: 'Imports an old config.json: idempotent; bad targets are reported while good ones import.' })
  importConfig(@Arg('input') input: ImportConfigInput, @Ctx() { domain }: GraphQLContext): Promise<ImportSummary> {
    return domain.importer.import(input.config, { environment: input.environment, region: input.region, dryRun: input.dryRun });
  }
}
