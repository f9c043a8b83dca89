import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'After so many minutes without acknowledgement, these channels hear of the incident.' })
export class EscalationStep {
  @Field(() => Int, { name: 'afterMinutes', description: 'Minutes after the incident opened.' })
  @prop({ required: true })
  public after_minutes!: number;

  @Field(() => [String], { description: 'Channel names.' })
  @prop({ type: () => [String], default: [] })
  public channels!: string[];
}

/**
 * An escalation policy, named as services name it (`alerting.escalation_policy: "db-team"`, the seed's field):
 * ordered steps, then the last step again every `repeat_every_minutes` until the incident is acknowledged or
 * resolved.
 */
@modelOptions({ schemaOptions: { collection: 'escalation_policies', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' }, versionKey: false } })
@index({ name: 1 }, { unique: true })
@ObjectType({ description: 'Who hears of an unacknowledged incident, and when.' })
export class EscalationPolicy {
  @Field({ description: 'What services name in alerting.escalationPolicy.' })
  @prop({ required: true })
  public name!: string;

  @Field(() => [EscalationStep])
  @prop({ type: () => [EscalationStep], _id: false, default: [] })
  public steps!: EscalationStep[];

  @Field(() => Int, { name: 'repeatEveryMinutes', nullable: true, description: 'After the last step, it is repeated this often until acknowledged; null: once.' })
  @prop({ type: Number, default: null })
  public repeat_every_minutes!: number | null;

  @Field(() => Date, { name: 'createdAt' })
  public created_at!: Date;

  @Field(() => Date, { name: 'updatedAt' })
  public updated_at!: Date;
}

export const EscalationPolicyModel = getModelForClass(EscalationPolicy);
