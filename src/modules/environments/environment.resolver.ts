import { Arg, Authorized, Ctx, Field, FieldResolver, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DataProblemType, toApiProblems } from '../../graphql/data-problem.js';
import { readEnvironment } from './environment-read.js';
import type { EnvironmentName, Severity, Weekday } from '../../common/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { EnvironmentEnum, SeverityEnum, WeekdayEnum } from '../../graphql/enums.js';
import { Environment } from './environment.model.js';
import type { EnvironmentPatch } from './environment.service.js';

@InputType()
class MaintenanceWindowInput {
  @Field(() => WeekdayEnum) day!: Weekday;
  @Field({ description: 'HH:MM' }) startTime!: string;
  @Field({ description: 'HH:MM; at or before startTime wraps past midnight.' }) endTime!: string;
  @Field({ defaultValue: 'UTC' }) timezone!: string;
}

@InputType({ description: 'The public status page’s settings; a field left out keeps its value.' })
class StatusPageInput {
  @Field({ nullable: true, description: 'true: /status/<name> serves the page to anyone, without a key.' }) public public?: boolean;
  @Field(() => String, { nullable: true, description: 'At most 100 characters; null: the environment’s name.' }) title?: string | null;
}

@InputType({ description: 'Fields of an environment; on update every field is optional. A maintenance window is replaced whole; null removes it.' })
class EnvironmentUpdateInput {
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) color?: string | null;
  @Field(() => SeverityEnum, { nullable: true }) alertSeverity?: Severity;
  @Field(() => MaintenanceWindowInput, { nullable: true }) maintenanceWindow?: MaintenanceWindowInput | null;
  @Field({ nullable: true }) approvalRequired?: boolean;
  @Field(() => Int, { nullable: true, description: 'Failed checks in a row that open an incident; null: the server’s ALERT_FAILURE_THRESHOLD.' }) failureThreshold?: number | null;
  @Field(() => Int, { nullable: true, description: 'Successful checks in a row that resolve an incident; null: ALERT_SUCCESS_THRESHOLD.' }) successThreshold?: number | null;
  @Field(() => StatusPageInput, { nullable: true }) statusPage?: StatusPageInput;
}

@InputType()
class EnvironmentCreateInput extends EnvironmentUpdateInput {
  @Field(() => EnvironmentEnum) name!: EnvironmentName;
}

function toEnvironmentPatch(input: EnvironmentUpdateInput): EnvironmentPatch {
  const window = input.maintenanceWindow;
  return {
    description: input.description,
    color: input.color,
    alert_severity: input.alertSeverity,
    maintenance_window:
      window === undefined ? undefined : window && { day: window.day, start_time: window.startTime, end_time: window.endTime, timezone: window.timezone },
    approval_required: input.approvalRequired,
    failure_threshold: input.failureThreshold,
    success_threshold: input.successThreshold,
    status_page: input.statusPage ?? undefined,
  };
}

@Resolver(() => Environment)
export class EnvironmentResolver {
  @Authorized('viewer')
  @Query(() => Environment, { nullable: true })
  environment(@Arg('name', () => EnvironmentEnum) name: EnvironmentName, @Ctx() { domain }: GraphQLContext): Promise<Environment | null> {
    return domain.environments.get(name);
  }

  @Authorized('viewer')
  @Query(() => [Environment])
  environments(@Ctx() { domain }: GraphQLContext): Promise<Environment[]> {
    return domain.environments.list();
  }

  @Authorized('viewer')
  @FieldResolver(() => [DataProblemType], { description: 'What is wrong with this environment as stored (written by another tool or an older version); empty when nothing.' })
  problems(@Root() environment: Environment): DataProblemType[] {
    return toApiProblems(environment.problems ?? readEnvironment(environment).problems);
  }

  @Authorized('admin')
  @Mutation(() => Environment)
  createEnvironment(@Arg('input') input: EnvironmentCreateInput, @Ctx() { domain }: GraphQLContext): Promise<Environment> {
    return domain.environments.create({ env_name: input.name, ...toEnvironmentPatch(input) });
  }

  @Authorized('admin')
  @Mutation(() => Environment)
  updateEnvironment(
    @Arg('name', () => EnvironmentEnum) name: EnvironmentName,
    @Arg('input') input: EnvironmentUpdateInput,
    @Ctx() { domain }: GraphQLContext,
  ): Promise<Environment> {
    return domain.environments.update(name, toEnvironmentPatch(input));
  }

  @Authorized('admin')
  @Mutation(() => EnvironmentEnum, { description: 'Deletes the environment’s reference data; returns its name.' })
  async deleteEnvironment(@Arg('name', () => EnvironmentEnum) name: EnvironmentName, @Ctx() { domain }: GraphQLContext): Promise<EnvironmentName> {
    await domain.environments.delete(name);
    return name;
  }
}
