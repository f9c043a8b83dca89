import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { RecoverAction, ServiceStatus } from '../../common/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { RecoverActionEnum, ServiceStatusEnum } from '../../graphql/enums.js';
import { MonitoringCheck, MonitoringCheckModel } from '../history/history.model.js';
import type { RecoveryOutcome } from '../recovery/recovery.service.js';

@ObjectType({ description: 'What a recovery did.' })
export class RecoveryResult {
  @Field() attempted!: boolean;
  @Field(() => RecoverActionEnum, { nullable: true }) action!: RecoverAction | null;
  @Field(() => Boolean, { nullable: true, description: 'Whether the re-check after the action found the service up.' }) success!: boolean | null;
  @Field() message!: string;
  @Field({ description: 'The attempt limit within the cooldown was reached; nothing was done.' }) gaveUp!: boolean;
}

@ObjectType({ description: 'A check run on demand.' })
class CheckRunResult {
  @Field() serviceId!: string;
  @Field(() => ServiceStatusEnum) previousStatus!: ServiceStatus;
  @Field(() => ServiceStatusEnum) status!: ServiceStatus;
  @Field() statusChanged!: boolean;
  @Field(() => MonitoringCheck, { description: 'The history entry the check wrote.' }) check!: MonitoringCheck;
  @Field(() => RecoveryResult, { nullable: true, description: 'Recovery, when the service was down and recover_on_down is set.' }) recovery!: RecoveryResult | null;
}

export const toRecoveryResult = (outcome: RecoveryOutcome): RecoveryResult => ({
  attempted: outcome.attempted,
  action: outcome.action,
  success: outcome.success,
  message: outcome.message,
  gaveUp: outcome.gaveUp,
});

@Resolver()
export class CheckResolver {
  @Authorized('operator')
  @Mutation(() => CheckRunResult, { description: 'Checks a service now and returns what it found.' })
  async runCheck(@Arg('serviceId') serviceId: string, @Ctx() { engine }: GraphQLContext): Promise<CheckRunResult> {
    const run = await engine.runNow(serviceId);
    const check = await MonitoringCheckModel.findById(run.recorded.history_id).lean<MonitoringCheck>();
    return {
      serviceId,
      previousStatus: run.recorded.previous_status,
      status: run.recorded.status,
      statusChanged: run.recorded.status_changed,
      check: check!,
      recovery: run.recovery && toRecoveryResult(run.recovery),
    };
  }

  @Authorized('operator')
  @Mutation(() => RecoveryResult, { description: 'Checks a service and, if it is down, runs a recovery action now (within the attempt limit).' })
  async recoverService(
    @Arg('serviceId') serviceId: string,
    @Arg('action', () => RecoverActionEnum) action: RecoverAction,
    @Ctx() { engine }: GraphQLContext,
  ): Promise<RecoveryResult> {
    return toRecoveryResult(await engine.recoverNow(serviceId, action));
  }
}
