import { getModelForClass, index, modelOptions, prop, Severity as TypegooseSeverity } from '@typegoose/typegoose';
import { ENVIRONMENTS, HOST_STATUSES, type EnvironmentName, type HostStatus } from '../../common/enums.js';
import { isIpAddress, patterns, TAG_RULE } from '../../common/validation.js';
import { everyItem, matches, oneOf, satisfies, withinRange } from '../../db/validators.js';

export class Location {
  @prop({ type: String, default: null, maxlength: 128 })
  public datacenter!: string | null;

  @prop({ type: String, default: null, maxlength: 64 })
  public rack!: string | null;

  @prop({ type: String, default: null, maxlength: 64 })
  public zone!: string | null;
}

export class SshConfig {
  @prop({ required: true, validate: matches(patterns.unixUser, 'a Unix user name such as ubuntu') })
  public user!: string;

  @prop({ required: true, default: 22, validate: withinRange(1, 65535, 'a TCP port') })
  public port!: number;

  /** Never exposed through the API: it names a secret on the server's disk. */
  @prop({ type: String, default: null, validate: matches(patterns.absolutePath, 'an absolute path') })
  public key_path!: string | null;

  @prop({ required: true, default: false })
  public use_sudo!: boolean;
}

export class HostMetadata {
  @prop({ type: String, default: null, maxlength: 128 })
  public os!: string | null;

  @prop({ type: String, default: null, maxlength: 256 })
  public purpose!: string | null;

  @prop({ type: () => [String], default: [], validate: everyItem(patterns.tag, TAG_RULE) })
  public tags!: string[];
}

@modelOptions({
  schemaOptions: {
    collection: 'hosts',
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    versionKey: false,
  },
  options: { allowMixed: TypegooseSeverity.ERROR },
})
@index({ host_id: 1 }, { unique: true })
@index({ environment: 1, region: 1 })
@index({ status: 1 })
@index({ 'metadata.tags': 1 })
@index({ ip_address: 1 })
@index({ hostname: 1 })
// The migration finds "the host at this address and SSH port" to make one host per target address.
@index({ ip_address: 1, 'ssh_config.port': 1 })
export class Host {
  @prop({ required: true, validate: matches(patterns.id, 'letters, digits, _ . - (max 128), starting alphanumeric') })
  public host_id!: string;

  @prop({ required: true, validate: matches(patterns.hostname, 'an RFC 1123 host name') })
  public hostname!: string;

  @prop({ required: true, validate: satisfies(isIpAddress, 'an IPv4 or IPv6 address') })
  public ip_address!: string;

  @prop({ required: true, type: String, validate: oneOf(ENVIRONMENTS) })
  public environment!: EnvironmentName;

  @prop({ required: true, validate: matches(patterns.label, 'a region label such as asia-pacific') })
  public region!: string;

  @prop({ type: () => Location, default: () => ({}), _id: false })
  public location!: Location;

  @prop({ type: () => SshConfig, required: true, _id: false })
  public ssh_config!: SshConfig;

  @prop({ type: () => HostMetadata, default: () => ({}), _id: false })
  public metadata!: HostMetadata;

  @prop({ required: true, type: String, default: 'active', validate: oneOf(HOST_STATUSES) })
  public status!: HostStatus;

  /** Last successful SSH contact; null until the first one (the seed's "now at creation" claimed contact that never happened). */
  @prop({ type: Date, default: null })
  public last_seen!: Date | null;

  public created_at!: Date;
  public updated_at!: Date;
}

export const HostModel = getModelForClass(Host);
