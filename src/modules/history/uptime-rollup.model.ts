import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';

/**
 * Milliseconds a service spent up and down within one clock hour, added to as
 * checks arrive, so uptime over 30 days reads ~720 small documents instead of
 * every check. Not part of the seed; the seed's tooling ignores it.
 */
@modelOptions({ schemaOptions: { collection: 'uptime_rollups', versionKey: false } })
@index({ service_id: 1, bucket_start: 1 }, { unique: true })
@index({ expires_at: 1 }, { expireAfterSeconds: 0 })
export class UptimeRollup {
  @prop({ required: true })
  public service_id!: string;

  /** Start of the clock hour (UTC) this bucket covers. */
  @prop({ required: true })
  public bucket_start!: Date;

  @prop({ required: true, default: 0 })
  public up_ms!: number;

  @prop({ required: true, default: 0 })
  public down_ms!: number;

  @prop({ required: true })
  public expires_at!: Date;
}

export const UptimeRollupModel = getModelForClass(UptimeRollup);
