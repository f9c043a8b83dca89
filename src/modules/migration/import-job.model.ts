import { getModelForClass, index, modelOptions, prop, Severity } from '@typegoose/typegoose';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums.js';
import type { ImportProgress, ImportSummary } from './config-import.js';

export const IMPORT_JOB_STATES = ['receiving', 'running', 'done', 'failed'] as const;
export type ImportJobState = (typeof IMPORT_JOB_STATES)[number];
export const ImportJobStateEnum = graphqlEnum(IMPORT_JOB_STATES, 'ImportJobState', 'Where an import job is: waiting for its parts, running, done, or failed.');

/** Import jobs and their parts are kept this long after they start. */
export const IMPORT_JOB_TTL_SEC = 7 * 86_400;

@ObjectType({ description: 'How far a running import is.' })
export class ImportJobProgress {
  @Field(() => String, { description: 'validating, hosts or services.' }) @prop({ required: true, type: String }) public phase!: ImportProgress['phase'];
  @Field(() => Int) @prop({ required: true }) public done!: number;
  @Field(() => Int) @prop({ required: true }) public total!: number;
}

/**
 * A config.json import run as a job (`startImport`): the file arrives in parts (`addImportPart`, each within the
 * request body limit), then the process that received the last part runs it, writing its progress here.
 */
@modelOptions({ schemaOptions: { collection: 'import_jobs', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' }, versionKey: false }, options: { allowMixed: Severity.ALLOW } })
@index({ job_id: 1 }, { unique: true })
@index({ created_at: 1 }, { expireAfterSeconds: IMPORT_JOB_TTL_SEC })
@ObjectType({ description: 'A config.json import run as a job.' })
export class ImportJob {
  @Field(() => ID, { name: 'id' }) @prop({ required: true }) public job_id!: string;
  @Field(() => ImportJobStateEnum) @prop({ required: true, type: String }) public state!: ImportJobState;
  @Field() @prop({ required: true }) public environment!: string;
  @Field() @prop({ required: true }) public region!: string;
  @Field({ name: 'dryRun' }) @prop({ required: true }) public dry_run!: boolean;
  @Field(() => Int, { name: 'partsExpected' }) @prop({ required: true }) public parts_expected!: number;
  @Field(() => Int, { name: 'partsReceived' }) @prop({ required: true, default: 0 }) public parts_received!: number;
  @Field(() => ImportJobProgress, { nullable: true }) @prop({ type: () => ImportJobProgress, _id: false, default: null }) public progress!: ImportJobProgress | null;
  /** The import's summary (ImportSummary) once done; served by the resolver as `summary`. */
  @prop({ type: () => Object, default: null }) public summary!: ImportSummary | null;
  @Field(() => String, { nullable: true, description: 'Why it failed.' }) @prop({ type: String, default: null }) public error!: string | null;
  @prop({ required: true }) public created_by!: string;
  @Field(() => Date, { name: 'createdAt' }) public created_at!: Date;
  @Field(() => Date, { name: 'updatedAt' }) public updated_at!: Date;
}

/** One part of a job's file, as sent. */
@modelOptions({ schemaOptions: { collection: 'import_job_parts', timestamps: { createdAt: 'created_at', updatedAt: false }, versionKey: false } })
@index({ job_id: 1, index: 1 }, { unique: true })
@index({ created_at: 1 }, { expireAfterSeconds: IMPORT_JOB_TTL_SEC })
export class ImportJobPart {
  @prop({ required: true }) public job_id!: string;
  @prop({ required: true }) public index!: number;
  @prop({ required: true }) public text!: string;
}

export const ImportJobModel = getModelForClass(ImportJob);
export const ImportJobPartModel = getModelForClass(ImportJobPart);
