import { Arg, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { EnvironmentName } from '../../common/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { EnvironmentEnum } from '../../graphql/enums.js';
import { eventStream } from '../live/event-stream.js';
import type { ImportJobChangeEvent } from '../live/live-events.js';
import { liveOf } from '../live/live.resolver.js';
import type { ImportSummary } from './config-import.js';
import { ImportJob } from './import-job.model.js';
import { MAX_IMPORT_PART_CHARS, MAX_IMPORT_PARTS } from './import-jobs.js';
import { ImportSummaryType } from './import.resolver.js';

@InputType({ description: 'An import too large for one request: its options now, its config.json in parts after.' })
class StartImportInput {
  @Field(() => EnvironmentEnum, { description: 'The environment of every target (config.json does not say).' }) environment!: EnvironmentName;
  @Field({ defaultValue: 'default' }) region!: string;
  @Field({ defaultValue: false, description: 'Report what would change and write nothing.' }) dryRun!: boolean;
  @Field(() => Int, { description: `How many parts the file is sent in (1 to ${MAX_IMPORT_PARTS}; each at most ${MAX_IMPORT_PART_CHARS} characters).` }) parts!: number;
}

@Resolver(() => ImportJob)
export class ImportJobResolver {
  @Authorized('admin')
  @Mutation(() => ImportJob, { description: 'Starts an import of a config.json sent in parts (addImportPart); it runs once the last part is in.' })
  startImport(@Arg('input') input: StartImportInput, @Ctx() { domain, caller }: GraphQLContext): Promise<ImportJob> {
    return domain.importJobs.start(input, caller.keyId);
  }

  @Authorized('admin')
  @Mutation(() => ImportJob, { description: 'One part of the file, by its index from 0 (text cut anywhere; sending a part again replaces it). The last one starts the import.' })
  addImportPart(@Arg('jobId', () => ID) jobId: string, @Arg('index', () => Int) index: number, @Arg('text') text: string, @Ctx() { domain }: GraphQLContext): Promise<ImportJob> {
    return domain.importJobs.addPart(jobId, index, text);
  }

  @Authorized('admin')
  @Query(() => ImportJob, { nullable: true, description: 'An import job: its state, progress and, when done, its summary.' })
  importJob(@Arg('id', () => ID) id: string, @Ctx() { domain }: GraphQLContext): Promise<ImportJob | null> {
    return domain.importJobs.get(id);
  }

  @Authorized('admin')
  @Subscription(() => ImportJob, {
    description: 'An import job each time it moves on (a part in, progress about once a second, done or failed), whichever process runs it.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
      const live = liveOf(context);
      const jobId = (args as { jobId: string }).jobId;
      return eventStream<ImportJobChangeEvent>({ listen: (deliver) => live.hub.listen('importJobChanged', (e) => e.job_id === jobId && deliver(e)) }, live.budget);
    },
  })
  async importJobChanged(@Root() event: ImportJobChangeEvent, @Arg('jobId', () => ID) _jobId: string, @Ctx() { domain }: GraphQLContext): Promise<ImportJob> {
    return (await domain.importJobs.get(event.job_id))!;
  }

  @FieldResolver(() => ImportSummaryType, { nullable: true, description: 'What the import did, once done (as importConfig answers).' })
  summary(@Root() job: ImportJob): ImportSummary | null {
    return job.summary;
  }
}
