import { getModelForClass, index, modelOptions, pre, prop, Severity as TypegooseSeverity } from '@typegoose/typegoose';
import { Field, Int, ObjectType } from 'type-graphql';
import type { EnvironmentName, HostStatus } from '../../common/enums.js';
import { ENVIRONMENTS, HOST_STATUSES } from '../../common/enums.js';
import { canonicalAddress } from '../../common/ip-address.js';
import { isIpAddress, patterns, TAG_RULE, type DataProblem } from '../../common/validation.js';
import { everyItem, matches, oneOf, satisfies, withinRange, maxLength } from '../../db/validators.js';
import { EnvironmentEnum, HostStatusEnum } from '../../graphql/enums.js';

// One class is both the stored document (snake_case, as the seed) and the GraphQL type (camelCase names).

@ObjectType({ description: 'Physical location of a host.' })
export class Location {
  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(128) })
  public datacenter!: string | null;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(64) })
  public rack!: string | null;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(64) })
  public zone!: string | null;
}

@ObjectType({ description: 'How the monitor logs in to a host. The key path is write-only: it names a secret on the server.' })
export class SshConfig {
  @Field({ description: 'Unix user the monitor logs in as.' })
  @prop({ required: true, validate: matches(patterns.unixUser, 'a Unix user name such as ubuntu') })
  public user!: string;

  @Field(() => Int)
  @prop({ required: true, default: 22, validate: withinRange(1, 65535, 'a TCP port') })
  public port!: number;

  /** Never exposed through the API: it names a secret on the server's disk. */
  @prop({ type: String, default: null, validate: matches(patterns.absolutePath, 'an absolute path', { secret: true }) })
  public key_path!: string | null;

  /** Not in the seed: the host key the monitor accepts, as OpenSSH prints it (`SHA256:...`). */
  @Field(() => String, { name: 'hostKeyFingerprint', nullable: true, description: 'Pinned host key, `SHA256:...` as `ssh-keygen -lf` prints it; unset: the known_hosts file decides.' })
  @prop({ type: String, default: null, validate: matches(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH SHA256 fingerprint such as SHA256:abc...') })
  public host_key_fingerprint!: string | null;

  @Field({ name: 'useSudo', description: 'Whether commands run through `sudo -n`.' })
  @prop({ required: true, default: false })
  public use_sudo!: boolean;
}

@ObjectType({ description: 'Free-form facts about a host.' })
export class HostMetadata {
  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(128) })
  public os!: string | null;

  @Field(() => String, { nullable: true })
  @prop({ type: String, default: null, validate: maxLength(256) })
  public purpose!: string | null;

  @Field(() => [String])
  @prop({ type: () => [String], default: [], validate: everyItem(patterns.tag, TAG_RULE) })
  public tags!: string[];
}

@ObjectType({ description: 'A machine whose services are monitored: over SSH (systemd units, custom commands, recovery), or from outside only (http, tcp, database, ping, dns, heartbeat).' })
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
// One machine is one host: no two hosts at one address and SSH port. Sparse, so hosts stored before it was kept
// (which may share one; the doctor command lists them) do not stop the index being built.
@index({ ssh_endpoint: 1 }, { unique: true, sparse: true })
// Written when a host is created or moves; a host stored before, left where it is, is checked by address and port.
@pre<Host>('validate', function keepEndpoint() {
  const moved = this.isNew || this.isModified('ip_address') || this.isModified('ssh_config.port') || this.ssh_endpoint !== undefined;
  if (moved && this.ip_address && this.ssh_config?.port) this.ssh_endpoint = sshEndpoint(this.ip_address, this.ssh_config.port);
})
export class Host {
  @Field({ name: 'hostId', description: 'Unique, human-readable id, e.g. host_jeju_mysql_001.' })
  @prop({ required: true, validate: matches(patterns.id, 'letters, digits, _ . - (max 128), starting alphanumeric') })
  public host_id!: string;

  @Field()
  @prop({ required: true, validate: matches(patterns.hostname, 'an RFC 1123 host name') })
  public hostname!: string;

  @Field({ name: 'ipAddress', description: 'IPv4 or IPv6 address the monitor connects to.' })
  @prop({ required: true, set: canonicalAddress, get: (value: string) => value, validate: satisfies(isIpAddress, 'an IPv4 or IPv6 address') })
  public ip_address!: string;

  /** `<address> port <port>`, the machine's SSH endpoint, unique over hosts (see the index above). */
  @prop({ type: String })
  public ssh_endpoint?: string;

  @Field(() => EnvironmentEnum, { nullable: true, description: 'Null when the stored value is not one this server knows (see problems).' })
  @prop({ required: true, type: String, validate: oneOf(ENVIRONMENTS) })
  public environment!: EnvironmentName;

  @Field({ description: 'Geographic region or datacenter.' })
  @prop({ required: true, validate: matches(patterns.label, 'a region label such as asia-pacific') })
  public region!: string;

  @Field(() => Location)
  @prop({ type: () => Location, default: () => ({}), _id: false })
  public location!: Location;

  @Field(() => SshConfig, { name: 'sshConfig', nullable: true, description: 'How the monitor logs in; null for a host watched without SSH (its services are http, tcp, database, ping, dns and heartbeat checks).' })
  @prop({ type: () => SshConfig, default: null, _id: false })
  public ssh_config!: SshConfig | null;

  @Field(() => HostMetadata)
  @prop({ type: () => HostMetadata, default: () => ({}), _id: false })
  public metadata!: HostMetadata;

  @Field(() => HostStatusEnum, { nullable: true, description: 'Null when the stored value is not one this server knows (see problems); such a host is not checked.' })
  @prop({ required: true, type: String, default: 'active', validate: oneOf(HOST_STATUSES) })
  public status!: HostStatus;

  /** Last successful SSH contact; null until the first one (the seed's "now at creation" claimed contact that never happened). */
  @Field(() => Date, { name: 'lastSeen', nullable: true, description: 'Last successful SSH contact; null until the first.' })
  @prop({ type: Date, default: null })
  public last_seen!: Date | null;

  @Field(() => Date, { name: 'createdAt' })
  public created_at!: Date;

  @Field(() => Date, { name: 'updatedAt' })
  public updated_at!: Date;

  /** Not stored: what reading the document found wrong with it (see host-read.ts); served as `problems`. */
  public problems?: DataProblem[];
}

export const HostModel = getModelForClass(Host);

export const sshEndpoint = (address: string, port: number) => `${canonicalAddress(address)} port ${port}`;
