import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import { ENVIRONMENTS, SEVERITIES, WEEKDAYS, type EnvironmentName, type Severity, type Weekday } from '../../common/enums.js';
import { isTimeZone, patterns, type DataProblem } from '../../common/validation.js';
import { matches, oneOf, satisfies, maxLength, withinRange } from '../../db/validators.js';
import { EnvironmentEnum, SeverityEnum, WeekdayEnum } from '../../graphql/enums.js';

export const STATUS_PAGE_TITLE_MAX = 100;

@ObjectType({ description: 'A weekly window in which alerts and recovery hold off; end before start wraps past midnight.' })
export class MaintenanceWindow {
  @Field(() => WeekdayEnum, { nullable: true, description: 'Null when the stored day is not one this server knows (see Environment.problems).' })
  @prop({ required: true, type: String, validate: oneOf(WEEKDAYS) })
  public day!: Weekday;

  @Field({ name: 'startTime', description: 'HH:MM, 24-hour clock.' })
  @prop({ required: true, validate: matches(patterns.clockTime, 'a 24-hour time HH:MM') })
  public start_time!: string;

  @Field({ name: 'endTime', description: 'HH:MM, 24-hour clock.' })
  @prop({ required: true, validate: matches(patterns.clockTime, 'a 24-hour time HH:MM') })
  public end_time!: string;

  @Field({ description: 'IANA time zone, e.g. Asia/Seoul.' })
  @prop({ required: true, default: 'UTC', validate: satisfies(isTimeZone, 'an IANA time zone such as UTC or Asia/Seoul') })
  public timezone!: string;
}

/** Opt-in: nothing about an environment is public until `public` is set. */
@ObjectType({ description: 'The environment’s public status page (/status/<name>): read-only, served without an API key once public.' })
export class StatusPageSettings {
  @Field({ description: 'Served to anyone at /status/<name> (HTML) and /status/<name>.json; false: not found there.' })
  @prop({ required: true, default: false })
  public public!: boolean;

  @Field(() => String, { nullable: true, description: 'The page’s heading, at most 100 characters; null: the environment’s name.' })
  @prop({ type: String, default: null, validate: maxLength(STATUS_PAGE_TITLE_MAX) })
  public title!: string | null;
}

@modelOptions({
  schemaOptions: {
    collection: 'environments',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    versionKey: false,
  },
})
// The seed looks environments up by name; two documents for one name would make that ambiguous.
@index({ env_name: 1 }, { unique: true })
@ObjectType({ description: 'Reference data for an environment.' })
export class Environment {
  @Field(() => EnvironmentEnum, { name: 'name', nullable: true, description: 'Null when the stored name is not one this server knows (see problems).' })
  @prop({ required: true, type: String, validate: oneOf(ENVIRONMENTS) })
  public env_name!: EnvironmentName;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(1024) })
  public description!: string | null;

  @Field(() => String, { nullable: true, description: '#RRGGBB.' })
  @prop({ type: String, default: null, validate: matches(patterns.hexColor, 'a colour #RRGGBB') })
  public color!: string | null;

  @Field(() => SeverityEnum, { name: 'alertSeverity', nullable: true, description: 'Null when the stored severity is not one this server knows (see problems).' })
  @prop({ required: true, type: String, default: 'medium', validate: oneOf(SEVERITIES) })
  public alert_severity!: Severity;

  @Field(() => MaintenanceWindow, { name: 'maintenanceWindow', nullable: true })
  /** A maintenance window ending at or before its start wraps past midnight (22:00-02:00). */
  @prop({ type: () => MaintenanceWindow, default: null, _id: false })
  public maintenance_window!: MaintenanceWindow | null;

  @Field({ name: 'approvalRequired' })
  @prop({ required: true, default: false })
  public approval_required!: boolean;

  @Field(() => Int, { name: 'failureThreshold', nullable: true, description: 'Failed checks in a row that open an incident for its services (unless a service says otherwise); null: ALERT_FAILURE_THRESHOLD.' })
  @prop({ type: Number, default: null, validate: withinRange(1, 1000, 'a count') })
  public failure_threshold!: number | null;

  @Field(() => Int, { name: 'successThreshold', nullable: true, description: 'Successful checks in a row that resolve an incident; null: ALERT_SUCCESS_THRESHOLD.' })
  @prop({ type: Number, default: null, validate: withinRange(1, 1000, 'a count') })
  public success_threshold!: number | null;

  @Field(() => StatusPageSettings, { name: 'statusPage' })
  /** Absent in documents the seed's tooling wrote: read as the default, not public. */
  @prop({ type: () => StatusPageSettings, default: () => ({}), _id: false })
  public status_page!: StatusPageSettings;

  @Field(() => Date, { name: 'createdAt' })
  public created_at!: Date;

  @Field(() => Date, { name: 'updatedAt' })
  public updated_at!: Date;

  /** Not stored: what reading the document found wrong with it; served as `problems`. */
  public problems?: DataProblem[];
}

export const EnvironmentModel = getModelForClass(Environment);
