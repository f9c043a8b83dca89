import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { perPage, toConnection, type ConnectionShape } from '../../graphql/connection.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { checkedDays, checkedHours, MonitoringCheckConnection, UptimeReportType } from './history.graphql.js';
import { DataProblemType, toApiProblems } from '../../graphql/data-problem.js';
import { CheckMetrics, MonitoringCheck, readCheck } from './history.model.js';
import type { UptimeReport } from './uptime.service.js';
import { scrubText } from '../../common/secrets.js';
import type { Loaders } from '../../graphql/loaders.js';
import { checkSecrets } from '../checks/run-check.js';

const HOUR_MS = 3_600_000;

@ArgsType()
class HistoryPageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
  @Field(() => Date, { nullable: true, description: 'Only checks at or after this instant.' }) since?: Date;
}

@ArgsType()
class FailuresArgs {
  @Field(() => Int, { defaultValue: 24, description: 'How far back, in hours.' }) hours!: number;
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
}

@Resolver(() => MonitoringCheck)
export class HistoryResolver {
  @Authorized('viewer')
  @FieldResolver(() => ID)
  id(@Root() check: MonitoringCheck): string {
    return String(check._id);
  }

  @Authorized('viewer')
  @FieldResolver(() => CheckMetrics, { description: 'Figures the check collected; fields are null when not measured.' })
  metrics(@Root() check: MonitoringCheck): CheckMetrics {
    // Documents written without metrics (by other tools, or before minimize: false) have no object at all.
    return check.metrics ?? {};
  }

  // Written by this server, check texts carry no secret already; entries other tools (or older versions) wrote
  // may. When read: the secrets of the entry's service and host (target passwords, the key path) wherever they
  // appear, URL credentials, secret parameters and `password=` pairs are masked, and file paths in the error
  // and recovery message (in the details, the monitored host's output, only paths that look like key material).
  @Authorized('viewer')
  @FieldResolver(() => String, { nullable: true })
  error(@Root() check: MonitoringCheck, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return scrubCheckText(check, check.error, loaders, true);
  }

  @Authorized('viewer')
  @FieldResolver(() => String, { name: 'errorDetails', nullable: true })
  error_details(@Root() check: MonitoringCheck, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return scrubCheckText(check, check.error_details, loaders, 'keys');
  }

  @Authorized('viewer')
  @FieldResolver(() => String, { name: 'recoveryMessage', nullable: true })
  recovery_message(@Root() check: MonitoringCheck, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return scrubCheckText(check, check.recovery_message, loaders, true);
  }

  @Authorized('viewer')
  @FieldResolver(() => [DataProblemType], { description: 'What is wrong with this entry as stored (written by another tool); empty when nothing.' })
  problems(@Root() check: MonitoringCheck): DataProblemType[] {
    return toApiProblems(check.problems ?? readCheck(check).problems);
  }

  @Authorized('viewer')
  @Query(() => MonitoringCheckConnection, { complexity: perPage, description: 'Checks of one service, newest first.' })
  async serviceHistory(
    @Arg('serviceId') serviceId: string,
    @Args() { first, after, since }: HistoryPageArgs,
    @Ctx() { domain }: GraphQLContext,
  ): Promise<ConnectionShape<MonitoringCheck>> {
    await domain.history.requireServiceExists(serviceId);
    return toConnection(MonitoringCheckConnection, await domain.history.page({ service_id: serviceId, since }, { first, after }));
  }

  @Authorized('viewer')
  @Query(() => MonitoringCheckConnection, { complexity: perPage, description: 'Checks of every service of one host, newest first.' })
  async hostHistory(
    @Arg('hostId') hostId: string,
    @Args() { first, after, since }: HistoryPageArgs,
    @Ctx() { domain }: GraphQLContext,
  ): Promise<ConnectionShape<MonitoringCheck>> {
    await domain.history.requireHostExists(hostId);
    return toConnection(MonitoringCheckConnection, await domain.history.page({ host_id: hostId, since }, { first, after }));
  }

  @Authorized('viewer')
  @Query(() => MonitoringCheckConnection, { complexity: perPage, description: 'Failed checks (stopped, error, unknown) in the last `hours`, newest first.' })
  async recentFailures(@Args() { hours, first, after }: FailuresArgs, @Ctx() { domain }: GraphQLContext): Promise<ConnectionShape<MonitoringCheck>> {
    const since = new Date(Date.now() - checkedHours(hours) * HOUR_MS);
    return toConnection(MonitoringCheckConnection, await domain.history.page({ failures_only: true, since }, { first, after }));
  }

  @Authorized('viewer')
  @Query(() => UptimeReportType, { description: 'Time-weighted uptime of one service over the last `days` days.' })
  serviceUptime(
    @Arg('serviceId') serviceId: string,
    @Arg('days', () => Int, { defaultValue: 30 }) days: number,
    @Ctx() { domain }: GraphQLContext,
  ): Promise<UptimeReport> {
    return domain.uptime.forService(serviceId, checkedDays(days));
  }
}

/**
 * Check text as anyone may read it (see HistoryResolver.error). The service and host are loaded (batched per
 * request) only for text that is there; a service or host deleted since leaves only the generic rules.
 */
export async function scrubCheckText(ids: { service_id: string; host_id: string }, text: string | null | undefined, loaders: Loaders, paths: true | 'keys'): Promise<string | null> {
  if (text === null || text === undefined || text === '') return text ?? null;
  const [service, host] = await Promise.all([loaders.serviceById.load(ids.service_id), loaders.hostById.load(ids.host_id)]);
  const secrets = service ? checkSecrets(service, host) : host?.ssh_config?.key_path ? [host.ssh_config.key_path] : [];
  return scrubText(text, { secrets, paths: paths === true, keyPaths: paths === 'keys' });
}
