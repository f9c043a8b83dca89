import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { ENVIRONMENTS, SEVERITIES, WEEKDAYS, type EnvironmentName, type Severity, type Weekday } from '../../common/enums.js';
import { isTimeZone, patterns } from '../../common/validation.js';
import { matches, oneOf, satisfies } from '../../db/validators.js';

export class MaintenanceWindow {
  @prop({ required: true, type: String, validate: oneOf(WEEKDAYS) })
  public day!: Weekday;

  @prop({ required: true, validate: matches(patterns.clockTime, 'a 24-hour time HH:MM') })
  public start_time!: string;

  @prop({ required: true, validate: matches(patterns.clockTime, 'a 24-hour time HH:MM') })
  public end_time!: string;

  @prop({ required: true, default: 'UTC', validate: satisfies(isTimeZone, 'an IANA time zone such as UTC or Asia/Seoul') })
  public timezone!: string;
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
export class Environment {
  @prop({ required: true, type: String, validate: oneOf(ENVIRONMENTS) })
  public env_name!: EnvironmentName;

  @prop({ type: String, default: null, maxlength: 1024 })
  public description!: string | null;

  @prop({ type: String, default: null, validate: matches(patterns.hexColor, 'a colour #RRGGBB') })
  public color!: string | null;

  @prop({ required: true, type: String, default: 'medium', validate: oneOf(SEVERITIES) })
  public alert_severity!: Severity;

  /** A maintenance window ending at or before its start wraps past midnight (22:00-02:00). */
  @prop({ type: () => MaintenanceWindow, default: null, _id: false })
  public maintenance_window!: MaintenanceWindow | null;

  @prop({ required: true, default: false })
  public approval_required!: boolean;

  public created_at!: Date;
  public updated_at!: Date;
}

export const EnvironmentModel = getModelForClass(Environment);
