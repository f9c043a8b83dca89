import { InvalidInputError, NotFoundError, type FieldProblem } from '../../common/errors.js';
import { patterns } from '../../common/validation.js';
import { isDuplicateKeyError } from '../../db/mongo-errors.js';
import { NotificationChannelModel } from './channel.model.js';
import { EscalationPolicyModel, type EscalationPolicy, type EscalationStep } from './escalation-policy.model.js';

export interface EscalationPolicyInput {
  name?: string;
  steps?: EscalationStep[];
  repeat_every_minutes?: number | null;
}

const MAX_STEPS = 20;
const MAX_AFTER_MINUTES = 7 * 24 * 60;

/** Escalation policies' CRUD (admin). Steps name channels that exist; services name policies by `name`. */
export class EscalationPolicyService {
  list(): Promise<EscalationPolicy[]> {
    return EscalationPolicyModel.find().sort({ name: 1 }).lean<EscalationPolicy[]>().exec();
  }

  get(name: string): Promise<EscalationPolicy | null> {
    return EscalationPolicyModel.findOne({ name }).lean<EscalationPolicy>().exec();
  }

  async create(input: EscalationPolicyInput): Promise<EscalationPolicy> {
    const policy = { name: input.name ?? '', steps: input.steps ?? [], repeat_every_minutes: input.repeat_every_minutes ?? null };
    await validate(policy);
    try {
      return (await EscalationPolicyModel.create(policy)).toObject() as EscalationPolicy;
    } catch (error) {
      throw isDuplicateKeyError(error) ? InvalidInputError.single('name', `a policy named '${policy.name}' already exists`) : error;
    }
  }

  async update(name: string, input: EscalationPolicyInput): Promise<EscalationPolicy> {
    const stored = await this.get(name);
    if (!stored) throw new NotFoundError('escalation policy', name);
    const next = {
      name: input.name ?? stored.name,
      steps: input.steps ?? stored.steps,
      repeat_every_minutes: input.repeat_every_minutes === undefined ? stored.repeat_every_minutes : input.repeat_every_minutes,
    };
    await validate(next);
    try {
      const updated = await EscalationPolicyModel.findOneAndUpdate({ name }, { $set: next }, { returnDocument: 'after' }).lean<EscalationPolicy>();
      if (!updated) throw new NotFoundError('escalation policy', name);
      return updated;
    } catch (error) {
      throw isDuplicateKeyError(error) ? InvalidInputError.single('name', `a policy named '${next.name}' already exists`) : error;
    }
  }

  async delete(name: string): Promise<boolean> {
    return (await EscalationPolicyModel.deleteOne({ name })).deletedCount > 0;
  }
}

/** Every problem at once, in the API's field names. */
async function validate(policy: { name: string; steps: EscalationStep[]; repeat_every_minutes: number | null }): Promise<void> {
  const problems: FieldProblem[] = [];
  if (!patterns.label.test(policy.name)) problems.push({ field: 'name', message: 'must be a policy name such as db-team (letters, digits, _ . -)' });
  if (policy.steps.length === 0 || policy.steps.length > MAX_STEPS) problems.push({ field: 'steps', message: `needs 1 to ${MAX_STEPS} steps, got ${policy.steps.length}` });
  const known = new Set((await NotificationChannelModel.find({}, { name: 1 }).lean<{ name: string }[]>()).map((c) => c.name));
  policy.steps.forEach((step, i) => {
    if (!Number.isInteger(step.after_minutes) || step.after_minutes < 0 || step.after_minutes > MAX_AFTER_MINUTES)
      problems.push({ field: `steps[${i}].afterMinutes`, message: `must be 0-${MAX_AFTER_MINUTES}, got ${step.after_minutes}` });
    if (i > 0 && step.after_minutes <= policy.steps[i - 1]!.after_minutes) problems.push({ field: `steps[${i}].afterMinutes`, message: 'must be later than the step before' });
    if (step.channels.length === 0) problems.push({ field: `steps[${i}].channels`, message: 'needs at least one channel' });
    step.channels.forEach((name, j) => known.has(name) || problems.push({ field: `steps[${i}].channels[${j}]`, message: `no channel is named '${name.slice(0, 80)}'` }));
  });
  const repeat = policy.repeat_every_minutes;
  if (repeat !== null && (!Number.isInteger(repeat) || repeat < 1 || repeat > 24 * 60)) problems.push({ field: 'repeatEveryMinutes', message: `must be 1-1440 or null, got ${repeat}` });
  if (problems.length) throw new InvalidInputError(problems);
}
