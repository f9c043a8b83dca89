import { Arg, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { Service } from '../services/service.model.js';
import { Heartbeat } from './heartbeat.model.js';

@ObjectType({ description: 'A heartbeat service’s ping URL, shown this once (only a hash of its token is kept).' })
class HeartbeatUrl {
  @Field() serviceId!: string;
  @Field({ description: 'The secret part of the URL.' }) token!: string;
  @Field({ description: '/ping/<token>; /start, /fail or /<exit code> after it say more (see the README).' }) pingPath!: string;
  @Field(() => String, { nullable: true, description: 'The full URL: PUBLIC_URL, else the address this request came to, then pingPath. Null over the WebSocket without PUBLIC_URL.' })
  pingUrl!: string | null;
  @Field() issuedAt!: Date;
}

@Resolver(() => Service)
export class HeartbeatResolver {
  @Authorized('operator')
  @Mutation(() => HeartbeatUrl, { description: 'Issues a ping URL for a heartbeat service; the one issued before stops working.' })
  async issueHeartbeatUrl(@Arg('serviceId') serviceId: string, @Ctx() { domain, engine, origin }: GraphQLContext): Promise<HeartbeatUrl> {
    const { token, issuedAt } = await domain.heartbeats.issueToken(serviceId);
    // Judged now, so the first ping's deadline (issue + interval + grace) is what the schedule waits for.
    await engine.checkAfterSignal(serviceId);
    const pingPath = `/ping/${token}`;
    return { serviceId, token, pingPath, pingUrl: origin ? `${origin}${pingPath}` : null, issuedAt };
  }

  @FieldResolver(() => Heartbeat, { nullable: true, description: 'Heartbeat services: what the job last said; null before a ping URL is issued, and for other methods.' })
  heartbeat(@Root() service: Service, @Ctx() { loaders }: GraphQLContext): Promise<Heartbeat | null> | null {
    return service.monitoring?.method === 'heartbeat' ? loaders.heartbeatByServiceId.load(service.service_id) : null;
  }
}
