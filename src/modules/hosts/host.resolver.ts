import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { perPage, toConnection, type ConnectionShape } from '../../graphql/connection.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { Service } from '../services/service.model.js';
import { DataProblemType, toApiProblems } from '../../graphql/data-problem.js';
import { Host } from './host.model.js';
import { readHost } from './host-read.js';
import { HostConnection, HostCreateInput, HostFilterInput, HostUpdateInput, toHostFilter, toHostInput, toHostPatch } from './host.graphql.js';

@ArgsType()
class HostsArgs {
  @Field(() => HostFilterInput, { nullable: true }) filter?: HostFilterInput;
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
}

@ObjectType({ description: 'What deleting a host removed.' })
class DeleteHostPayload {
  @Field() hostId!: string;
  @Field(() => [String], { description: 'Services deleted with the host.' }) deletedServiceIds!: string[];
}

@Resolver(() => Host)
export class HostResolver {
  @Authorized('viewer')
  @Query(() => Host, { nullable: true, description: 'One host, or null.' })
  host(@Arg('hostId') hostId: string, @Ctx() { loaders }: GraphQLContext): Promise<Host | null> {
    return loaders.hostById.load(hostId);
  }

  @Authorized('viewer')
  @Query(() => HostConnection, { complexity: perPage, description: 'Hosts ordered by hostId.' })
  async hosts(@Args() { filter, first, after }: HostsArgs, @Ctx() { domain }: GraphQLContext): Promise<ConnectionShape<Host>> {
    return toConnection(HostConnection, await domain.hosts.page(toHostFilter(filter), { first, after }));
  }

  @Authorized('viewer')
  @FieldResolver(() => [Service], { complexity: ({ childComplexity }) => 1 + 10 * childComplexity, description: 'Services on this host.' })
  services(@Root() host: Host, @Ctx() { loaders }: GraphQLContext): Promise<Service[]> {
    return loaders.servicesByHostId.load(host.host_id);
  }

  @Authorized('viewer')
  @FieldResolver(() => Boolean, { description: 'Whether an SSH key path is set (the path itself is never shown).' })
  sshKeyConfigured(@Root() host: Host): boolean {
    return Boolean(host.ssh_config?.key_path);
  }

  @Authorized('viewer')
  @FieldResolver(() => [DataProblemType], { description: 'What is wrong with this host as stored (written by another tool or an older version); empty when nothing.' })
  problems(@Root() host: Host): DataProblemType[] {
    return toApiProblems(host.problems ?? readHost(host).problems);
  }

  @Authorized('admin')
  @Mutation(() => Host)
  createHost(@Arg('input') input: HostCreateInput, @Ctx() { domain }: GraphQLContext): Promise<Host> {
    return domain.hosts.create(toHostInput(input));
  }

  @Authorized('admin')
  @Mutation(() => Host, { description: 'Changes only the given fields; a new environment or region is copied to the host’s services.' })
  updateHost(@Arg('hostId') hostId: string, @Arg('input') input: HostUpdateInput, @Ctx() { domain }: GraphQLContext): Promise<Host> {
    return domain.hosts.update(hostId, toHostPatch(input));
  }

  @Authorized('admin')
  @Mutation(() => DeleteHostPayload, { description: 'Deletes the host and every service on it.' })
  async deleteHost(@Arg('hostId') hostId: string, @Ctx() { domain }: GraphQLContext): Promise<DeleteHostPayload> {
    const { deletedServiceIds } = await domain.hosts.delete(hostId);
    return { hostId, deletedServiceIds };
  }
}
