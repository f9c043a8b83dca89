import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';

/**
 * Who is sending one message now: one document per (channel, group key, event) while a process sends that group,
 * so claiming and releasing a message of a host's 20 incidents writes one document, not 20. Deleted when the
 * message's outcome is recorded; one left by a process that died is taken over once `until` has passed (and
 * removed after a day by its TTL index).
 */
@modelOptions({ schemaOptions: { collection: 'notification_leases', versionKey: false } })
@index({ until: 1 }, { expireAfterSeconds: 86_400 })
export class NotificationLease {
  /** `<channel_id>|<group_key>|<event>` */
  @prop({ required: true })
  public _id!: string;

  @prop({ required: true })
  public owner!: string;

  @prop({ required: true })
  public until!: Date;
}

export const NotificationLeaseModel = getModelForClass(NotificationLease);
