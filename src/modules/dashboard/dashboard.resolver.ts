import { Authorized, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { ServiceStatus } from '../../common/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { ServiceStatusEnum } from '../../graphql/enums.js';
import { Service } from '../services/service.model.js';
import type { DashboardSummary, StatusGroup } from './dashboard.service.js';

@ObjectType({ description: 'How many services share one value.' })
class CountByKey {
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType('DashboardSummary', { description: 'Counts for the overview page.' })
export class DashboardSummaryType {
  @Field(() => Int, { name: 'totalHosts' }) total_hosts!: number;
  @Field(() => Int, { name: 'activeHosts' }) active_hosts!: number;
  @Field(() => Int, { name: 'totalServices' }) total_services!: number;
  @Field(() => Int, { name: 'runningServices' }) running_services!: number;
  @Field(() => Int, { name: 'stoppedServices' }) stopped_services!: number;
  @Field(() => Int, { name: 'errorServices' }) error_services!: number;
  @Field(() => Int, { name: 'unknownServices' }) unknown_services!: number;
  @Field(() => Int, { name: 'warningServices' }) warning_services!: number;
  @Field(() => [CountByKey], { name: 'byEnvironment' }) by_environment!: CountByKey[];
  @Field(() => [CountByKey], { name: 'byRegion' }) by_region!: CountByKey[];
  @Field(() => [CountByKey], { name: 'byServiceType' }) by_service_type!: CountByKey[];
  @Field(() => [CountByKey], { name: 'openIncidents', description: 'Open incidents (TRIGGERED or ACKNOWLEDGED) by severity (key: low, medium, high, critical).' }) open_incidents!: CountByKey[];
}

@ObjectType('ServicesNeedingAttention', { description: 'Services an operator should look at.' })
class ServicesNeedingAttentionType {
  @Field(() => [Service], { name: 'downServices', description: 'Stopped or in error.' }) down_services!: Service[];
  @Field(() => [Service], { name: 'highFailureRate', description: 'Failing several checks in a row.' }) high_failure_rate!: Service[];
  @Field(() => [Service], { name: 'staleChecks', description: 'Enabled but not checked within several of their intervals (without a stored staleAt: by the last check, or creation, and the interval).' }) stale_checks!: Service[];
  @Field(() => [Service], { name: 'recoveryGaveUp', description: 'Recovery reached its attempt limit and stopped trying.' }) recovery_gave_up!: Service[];
  @Field(() => [Service], {
    name: 'checksNotRunning',
    description:
      'Monitoring is on but the latest check could not run: status UNKNOWN after a check (no SSH key, an unknown host key, an unknown check method...). Its history says why. Services not checked yet are not here; staleChecks has them once overdue.',
  })
  checks_not_running!: Service[];
  @Field(() => [Service], {
    description:
      'Stored data this server cannot use as it is, whoever wrote it (unknown enum values, missing required values, wrong types, a check without its target): each service’s `problems` says what. `npm run db:doctor` lists them and fixes what can be derived.',
  })
  misconfigured!: Service[];
}

@ObjectType('StatusGroup', { description: 'Services sharing one status.' })
class StatusGroupType {
  @Field(() => ServiceStatusEnum) status!: ServiceStatus;
  @Field(() => Int) count!: number;
  @Field(() => [String], { name: 'serviceNames' }) service_names!: string[];
}

/** Environment keys as the API names them (PRODUCTION), so a key can be passed back as a filter. */
export function summaryForApi(summary: DashboardSummary): DashboardSummary {
  return { ...summary, by_environment: summary.by_environment.map((c) => ({ ...c, key: c.key?.toUpperCase() ?? null })) };
}

@Resolver()
export class DashboardResolver {
  @Authorized('viewer')
  @Query(() => DashboardSummaryType)
  async dashboardSummary(@Ctx() { domain }: GraphQLContext): Promise<DashboardSummary> {
    return summaryForApi(await domain.dashboard.summary());
  }

  @Authorized('viewer')
  @Query(() => ServicesNeedingAttentionType, { complexity: ({ childComplexity }) => 1 + 300 * childComplexity })
  servicesNeedingAttention(@Ctx() { domain }: GraphQLContext): ServicesNeedingAttentionType {
    // Only the lists the request selects are read (`misconfigured` scans every service).
    const lists = domain.dashboard.attentionLists();
    const lazy = {} as ServicesNeedingAttentionType;
    for (const [key, read] of Object.entries(lists)) {
      let loaded: Promise<Service[]> | undefined;
      Object.defineProperty(lazy, key, { enumerable: true, get: () => (loaded ??= read()) });
    }
    return lazy;
  }

  @Authorized('viewer')
  @Query(() => [StatusGroupType], { description: 'Services grouped by status, with their names.' })
  servicesByStatus(@Ctx() { domain }: GraphQLContext): Promise<StatusGroup[]> {
    return domain.dashboard.servicesByStatus();
  }
}
