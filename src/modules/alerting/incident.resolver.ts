import 'reflect-metadata';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EnvironmentName, Severity } from '../../common/enums.js';
import { Connection, perPage, toConnection, type ConnectionShape } from '../../graphql/connection.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { EnvironmentEnum, SeverityEnum } from '../../graphql/enums.js';
import { RecoveryResult, toRecoveryResult } from '../checks/check.resolver.js';
import { RecoveryApproval } from '../services/service.model.js';
import type { NotificationChannel } from './channel.model.js';
import { withDeliveries } from './incident-log.js';
import { Incident, IncidentStateEnum, TimelineEntry, type IncidentState } from './incident.model.js';
import { Notification } from './outbox.model.js';

const IncidentConnection = Connection(Incident, 'Incident');

@InputType({ description: 'Every given criterion must hold.' })
class IncidentFilterInput {
  @Field(() => [IncidentStateEnum], { nullable: true, description: 'Any of these states; e.g. [TRIGGERED, ACKNOWLEDGED] for the open ones.' }) states?: IncidentState[];
  @Field({ nullable: true }) serviceId?: string;
  @Field({ nullable: true }) hostId?: string;
  @Field(() => EnvironmentEnum, { nullable: true }) environment?: EnvironmentName;
  @Field(() => SeverityEnum, { nullable: true }) severity?: Severity;
  @Field(() => Date, { nullable: true, description: 'Opened at or after this instant.' }) since?: Date;
}

@ArgsType()
class IncidentsArgs {
  @Field(() => IncidentFilterInput, { nullable: true }) filter?: IncidentFilterInput;
  @Field(() => Int, { nullable: true, description: 'Page size: default 50, at most 500.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
}

const actor = ({ caller }: GraphQLContext) => caller.name ?? caller.keyId;

@Resolver(() => Incident)
export class IncidentResolver {
  @Authorized('viewer')
  @Query(() => IncidentConnection, { complexity: perPage, description: 'Incidents, newest first.' })
  async incidents(@Args() { filter, first, after }: IncidentsArgs, @Ctx() { domain }: GraphQLContext): Promise<ConnectionShape<Incident>> {
    return toConnection(IncidentConnection, await domain.alerting.incidents.page({ ...filter }, { first, after }));
  }

  @Authorized('viewer')
  @Query(() => Incident, { nullable: true })
  incident(@Arg('incidentId') incidentId: string, @Ctx() { domain }: GraphQLContext): Promise<Incident | null> {
    return domain.alerting.incidents.get(incidentId);
  }

  @Authorized('operator')
  @Mutation(() => Incident, { description: 'Someone is on it: TRIGGERED -> ACKNOWLEDGED; the channels that were told hear it.' })
  acknowledgeIncident(@Arg('incidentId') incidentId: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() context: GraphQLContext): Promise<Incident> {
    return context.domain.alerting.incidents.acknowledge(incidentId, actor(context), note);
  }

  @Authorized('operator')
  @Mutation(() => Incident, { description: 'Closes an open incident by hand; the channels that were told hear it. A new failure streak opens a new one.' })
  resolveIncident(@Arg('incidentId') incidentId: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() context: GraphQLContext): Promise<Incident> {
    return context.domain.alerting.incidents.resolve(incidentId, actor(context), note);
  }

  @Authorized('operator')
  @Mutation(() => Incident, { description: 'Adds a note to the incident’s timeline.' })
  addIncidentNote(@Arg('incidentId') incidentId: string, @Arg('note') note: string, @Ctx() context: GraphQLContext): Promise<Incident> {
    return context.domain.alerting.incidents.addNote(incidentId, actor(context), note);
  }

  @Authorized('operator')
  @Mutation(() => RecoveryResult, { description: 'Runs the automatic recovery its environment (approval_required) holds for an operator, now.' })
  async approveRecovery(@Arg('incidentId') incidentId: string, @Ctx() context: GraphQLContext): Promise<RecoveryResult> {
    const { incident, action } = await context.domain.alerting.approvals.take(incidentId, actor(context));
    try {
      return toRecoveryResult(await context.engine.recoverNow(incident.service_id, action));
    } finally {
      await context.domain.alerting.approvals.settle(incident.service_id);
    }
  }

  @Authorized('operator')
  @Mutation(() => Incident, { description: 'Drops the recovery waiting for approval; the next failed check asks again.' })
  declineRecovery(@Arg('incidentId') incidentId: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() context: GraphQLContext): Promise<Incident> {
    return context.domain.alerting.approvals.decline(incidentId, actor(context), note);
  }

  @Authorized('viewer')
  @FieldResolver(() => RecoveryApproval, { name: 'recoveryApproval', nullable: true, description: 'Automatic recovery waiting for approveRecovery, if any.' })
  recoveryApproval(@Root() incident: Incident, @Ctx() { domain }: GraphQLContext): Promise<RecoveryApproval | null> | null {
    return incident.state === 'resolved' ? null : domain.alerting.approvals.pending(incident.service_id);
  }

  @Authorized('viewer')
  @FieldResolver(() => Int, { name: 'durationSec', nullable: true, description: 'From opening to resolution; null while open.' })
  durationSec(@Root() incident: Incident): number | null {
    return incident.resolved_at ? Math.round((+incident.resolved_at - +incident.opened_at) / 1000) : null;
  }

  @Authorized('viewer')
  @FieldResolver(() => [Notification], { description: 'Its notifications, per channel and event, and how their delivery went.' })
  deliveries(@Root() incident: Incident, @Ctx() { loaders }: GraphQLContext): Promise<Notification[]> {
    return loaders.deliveriesByIncident.load(incident.incident_id);
  }

  @Authorized('viewer')
  @FieldResolver(() => [TimelineEntry], { description: 'What happened, oldest first: opened, notified per channel, escalated, acknowledged, recovery, suppressed, resolved.' })
  async timeline(@Root() incident: Incident, @Ctx() { loaders }: GraphQLContext): Promise<TimelineEntry[]> {
    const deliveries = await loaders.deliveriesByIncident.load(incident.incident_id);
    const channels = await loaders.channelById.loadMany([...new Set(deliveries.map((d) => d.channel_id))]);
    const names = new Map(channels.filter((c): c is NotificationChannel => Boolean(c) && !(c instanceof Error)).map((c) => [c.channel_id, c.name]));
    return withDeliveries(incident.timeline ?? [], deliveries, (id) => names.get(id) ?? id);
  }
}
