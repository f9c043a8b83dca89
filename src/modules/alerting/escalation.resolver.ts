import 'reflect-metadata';
import { Arg, Authorized, Ctx, Field, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { EscalationPolicy } from './escalation-policy.model.js';
import type { EscalationPolicyInput } from './escalation-policy.service.js';

@InputType()
class EscalationStepInput {
  @Field(() => Int, { description: 'Minutes after the incident opened, unacknowledged.' }) afterMinutes!: number;
  @Field(() => [String], { description: 'Names of notification channels.' }) channels!: string[];
}

@InputType({ description: 'On update every field is optional; steps are replaced whole.' })
class EscalationPolicyUpdateInput {
  @Field({ nullable: true }) name?: string;
  @Field(() => [EscalationStepInput], { nullable: true }) steps?: EscalationStepInput[];
  @Field(() => Int, { nullable: true, description: 'Repeat the last step this often until acknowledged; null: once.' }) repeatEveryMinutes?: number | null;
}

@InputType()
class EscalationPolicyCreateInput extends EscalationPolicyUpdateInput {
  @Field() declare name: string;
  @Field(() => [EscalationStepInput]) declare steps: EscalationStepInput[];
}

const toInput = (input: EscalationPolicyUpdateInput): EscalationPolicyInput => ({
  name: input.name,
  steps: input.steps?.map((s) => ({ after_minutes: s.afterMinutes, channels: s.channels })),
  repeat_every_minutes: input.repeatEveryMinutes,
});

@Resolver(() => EscalationPolicy)
export class EscalationPolicyResolver {
  @Authorized('viewer')
  @Query(() => [EscalationPolicy])
  escalationPolicies(@Ctx() { domain }: GraphQLContext): Promise<EscalationPolicy[]> {
    return domain.alerting.policies.list();
  }

  @Authorized('admin')
  @Mutation(() => EscalationPolicy)
  createEscalationPolicy(@Arg('input') input: EscalationPolicyCreateInput, @Ctx() { domain }: GraphQLContext): Promise<EscalationPolicy> {
    return domain.alerting.policies.create(toInput(input));
  }

  @Authorized('admin')
  @Mutation(() => EscalationPolicy)
  updateEscalationPolicy(@Arg('name') name: string, @Arg('input') input: EscalationPolicyUpdateInput, @Ctx() { domain }: GraphQLContext): Promise<EscalationPolicy> {
    return domain.alerting.policies.update(name, toInput(input));
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'True when it existed. Services naming it no longer escalate.' })
  deleteEscalationPolicy(@Arg('name') name: string, @Ctx() { domain }: GraphQLContext): Promise<boolean> {
    return domain.alerting.policies.delete(name);
  }
}
