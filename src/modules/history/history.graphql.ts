import { Field, Float, ObjectType } from 'type-graphql';
import { InvalidInputError } from '../../common/errors.js';
import { Connection } from '../../graphql/connection.js';
import { MonitoringCheck } from './history.model.js';

export const MonitoringCheckConnection = Connection(MonitoringCheck, 'MonitoringCheck');

@ObjectType('UptimeReport', { description: 'Time-weighted uptime: time up / (time up + time down); time with no data is left out.' })
export class UptimeReportType {
  @Field({ name: 'serviceId' }) service_id!: string;
  @Field(() => Date) from!: Date;
  @Field(() => Date) to!: Date;
  @Field(() => Float, { name: 'upMs', description: 'Milliseconds known up (running or warning).' }) up_ms!: number;
  @Field(() => Float, { name: 'downMs', description: 'Milliseconds known down (stopped or error).' }) down_ms!: number;
  @Field(() => Float, { nullable: true, description: 'Percentage with two decimals; null when nothing is known.' }) percentage!: number | null;
}

export function checkedDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw InvalidInputError.single('days', `must be between 1 and 3650, got ${days}`);
  return days;
}

export function checkedHours(hours: number): number {
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 3650) throw InvalidInputError.single('hours', `must be between 1 and 87600, got ${hours}`);
  return hours;
}
