import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { perPage, toConnection, type ConnectionShape } from '../../graphql/connection.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { checkedDays, MonitoringCheckConnection, UptimeReportType } from '../history/history.graphql.js';
import type { MonitoringCheck } from '../history/history.model.js';
import type { UptimeReport } from '../history/uptime.service.js';
import { DataProblemType, toApiProblems } from '../../graphql/data-problem.js';
import { Host } from '../hosts/host.model.js';
import { maskTarget } from '../../common/secrets.js';
import { HealthCheckConfig, MonitoringConfig, Service } from './service.model.js';
import { ServiceConnection, ServiceCreateInput, ServiceFilterInput, ServiceUpdateInput, toServiceFilter, toServiceInput, toServicePatch } from './service.graphql.js';

@ArgsType()
class ServicesArgs {
  @Field(() => ServiceFilterInput, { nullable: true }) filter?: ServiceFilterInput;
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
}

@ArgsType()
class ServiceHistoryArgs {
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
  @Field(() => Date, { nullable: true, description: 'Only checks at or after this instant.' }) since?: Date;
}

@Resolver(() => Service)
export class ServiceResolver {
  @Authorized('viewer')
  @Query(() => Service, { nullable: true, description: 'One service, or null.' })
  service(@Arg('serviceId') serviceId: string, @Ctx() { loaders }: GraphQLContext): Promise<Service | null> {
    return loaders.serviceById.load(serviceId);
  }

  @Authorized('viewer')
  @Query(() => ServiceConnection, { complexity: perPage, description: 'Services ordered by serviceId.' })
  async services(@Args() { filter, first, after }: ServicesArgs, @Ctx() { domain }: GraphQLContext): Promise<ConnectionShape<Service>> {
    return toConnection(ServiceConnection, await domain.services.page(toServiceFilter(filter), { first, after }));
  }

  @Authorized('viewer')
  @FieldResolver(() => Host, { nullable: true, description: 'The host this service runs on.' })
  host(@Root() service: Service, @Ctx() { loaders }: GraphQLContext): Promise<Host | null> {
    return loaders.hostById.load(service.host_id);
  }

  @Authorized('viewer')
  // Not named `dependencies`: that is the stored property behind `dependencyIds`, and type-graphql pairs resolvers with fields by that name.
  @FieldResolver(() => [Service], {
    name: 'dependencies',
    complexity: ({ childComplexity }) => 1 + 5 * childComplexity,
    description: 'The services this one depends on.',
  })
  async dependencyServices(@Root() service: Service, @Ctx() { loaders }: GraphQLContext): Promise<Service[]> {
    const found = await loaders.serviceById.loadMany(service.dependencies ?? []);
    return found.filter((s): s is Service => s !== null && !(s instanceof Error));
  }

  @Authorized('viewer')
  @FieldResolver(() => MonitoringCheckConnection, { complexity: perPage, description: 'Checks of this service, newest first.' })
  async history(@Root() service: Service, @Args() { first, after, since }: ServiceHistoryArgs, @Ctx() { loaders }: GraphQLContext): Promise<ConnectionShape<MonitoringCheck>> {
    return toConnection(MonitoringCheckConnection, await loaders.historyPage.load({ serviceId: service.service_id, first, after, since }));
  }

  @Authorized('viewer')
  @FieldResolver(() => UptimeReportType, { nullable: true, description: 'Time-weighted uptime over the last `days` days (1-3650).' })
  uptime(@Root() service: Service, @Arg('days', () => Int, { defaultValue: 30 }) days: number, @Ctx() { loaders }: GraphQLContext): Promise<UptimeReport | null> {
    return loaders.uptime.load({ serviceId: service.service_id, days: checkedDays(days) });
  }

  @Authorized('viewer')
  @FieldResolver(() => [DataProblemType], {
    description: 'What is wrong with this service as stored (written by another tool or an older version); empty when nothing. A service with problems is listed in servicesNeedingAttention.misconfigured.',
  })
  problems(@Root() service: Service, @Ctx() { domain }: GraphQLContext): DataProblemType[] {
    return toApiProblems(service.problems ?? domain.services.read(service).problems);
  }

  @Authorized('admin')
  @Mutation(() => Service)
  createService(@Arg('input') input: ServiceCreateInput, @Ctx() { domain }: GraphQLContext): Promise<Service> {
    return domain.services.create(toServiceInput(input));
  }

  @Authorized('admin')
  @Mutation(() => Service, { description: 'Changes only the given fields; nested objects merge.' })
  updateService(@Arg('serviceId') serviceId: string, @Arg('input') input: ServiceUpdateInput, @Ctx() { domain }: GraphQLContext): Promise<Service> {
    return domain.services.update(serviceId, toServicePatch(input));
  }

  @Authorized('admin')
  @Mutation(() => String, { description: 'Deletes the service; returns its serviceId.' })
  async deleteService(@Arg('serviceId') serviceId: string, @Ctx() { domain }: GraphQLContext): Promise<string> {
    await domain.services.delete(serviceId);
    return serviceId;
  }

  @Authorized('operator')
  @Mutation(() => Service, { description: 'Turns checking of a service on or off.' })
  setServiceMonitoring(@Arg('serviceId') serviceId: string, @Arg('enabled') enabled: boolean, @Ctx() { domain }: GraphQLContext): Promise<Service> {
    return domain.services.setMonitoringEnabled(serviceId, enabled);
  }

  @Authorized('operator')
  @Mutation(() => Service, { description: 'Silences alerts until the instant given; null unmutes.' })
  muteServiceAlerts(
    @Arg('serviceId') serviceId: string,
    @Arg('until', () => Date, { nullable: true }) until: Date | null,
    @Ctx() { domain }: GraphQLContext,
  ): Promise<Service> {
    return domain.services.muteAlerts(serviceId, until);
  }
}

/** Targets carry credentials (as the seed stores them): every role reads them masked (the field's description says how). */
@Resolver(() => MonitoringConfig)
export class MonitoringConfigResolver {
  @Authorized('viewer')
  @FieldResolver(() => String, { nullable: true })
  target(@Root() monitoring: MonitoringConfig): string | null {
    return maskTarget(monitoring.target);
  }
}

@Resolver(() => HealthCheckConfig)
export class HealthCheckConfigResolver {
  @Authorized('viewer')
  @FieldResolver(() => String, { nullable: true })
  endpoint(@Root() healthCheck: HealthCheckConfig): string | null {
    return maskTarget(healthCheck.endpoint);
  }
}
