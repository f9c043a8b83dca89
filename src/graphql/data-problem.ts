import { Field, ObjectType } from 'type-graphql';
import type { DataProblem } from '../common/validation.js';
import { scrubText } from '../common/secrets.js';
import { apiFieldPath } from './errors.js';

@ObjectType('DataProblem', {
  description:
    'A stored value this server cannot use as it is (written by another tool or an older version): an unknown enum value (the field reads as null, a status as UNKNOWN), a missing required value, a wrong type, a rule it breaks. `npm run db:doctor` lists them all and fixes what can be derived.',
})
export class DataProblemType {
  @Field({ description: 'The field as the API names it, e.g. monitoring.method.' }) field!: string;
  @Field({ name: 'storedField', description: 'The field as stored, e.g. monitoring.method or ssh_config.port.' }) stored_field!: string;
  @Field() message!: string;
}

export function toApiProblems(problems: readonly DataProblem[] | undefined): DataProblemType[] {
  // Problem messages quote stored values; a value another tool wrote may hold a credential.
  return (problems ?? []).map((p) => ({ field: apiFieldPath(p.field), stored_field: p.field, message: scrubText(p.message) }));
}
