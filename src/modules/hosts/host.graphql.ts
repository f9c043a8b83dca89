import { Field, InputType, Int } from 'type-graphql';
import type { EnvironmentName, HostStatus } from '../../common/enums.js';
import { Connection } from '../../graphql/connection.js';
import { EnvironmentEnum, HostStatusEnum } from '../../graphql/enums.js';
import type { HostFilter } from './host.service.js';
import type { HostInput, HostPatch } from './host.input.js';
import { Host } from './host.model.js';

export const HostConnection = Connection(Host, 'Host');

@InputType()
export class LocationInput {
  @Field(() => String, { nullable: true }) datacenter?: string | null;
  @Field(() => String, { nullable: true }) rack?: string | null;
  @Field(() => String, { nullable: true }) zone?: string | null;
}

@InputType()
export class SshConfigInput {
  @Field({ nullable: true }) user?: string;
  @Field(() => Int, { nullable: true }) port?: number;
  @Field(() => String, { nullable: true, description: 'Absolute path of the private key on the monitor; write-only.' }) keyPath?: string | null;
  @Field({ nullable: true }) useSudo?: boolean;
  @Field(() => String, { nullable: true, description: 'Pinned host key, `SHA256:...`.' }) hostKeyFingerprint?: string | null;
}

@InputType()
export class HostMetadataInput {
  @Field(() => String, { nullable: true }) os?: string | null;
  @Field(() => String, { nullable: true }) purpose?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[];
}

@InputType({ description: 'Fields of a host; on update every field is optional and nested objects merge.' })
export class HostUpdateInput {
  @Field({ nullable: true }) hostname?: string;
  @Field({ nullable: true }) ipAddress?: string;
  @Field(() => EnvironmentEnum, { nullable: true }) environment?: EnvironmentName;
  @Field({ nullable: true }) region?: string;
  @Field(() => LocationInput, { nullable: true }) location?: LocationInput;
  @Field(() => SshConfigInput, { nullable: true }) sshConfig?: SshConfigInput;
  @Field(() => HostMetadataInput, { nullable: true }) metadata?: HostMetadataInput;
  @Field(() => HostStatusEnum, { nullable: true }) status?: HostStatus;
}

@InputType({ description: 'A new host.' })
export class HostCreateInput extends HostUpdateInput {
  @Field() hostId!: string;
  @Field() declare hostname: string;
  @Field() declare ipAddress: string;
  @Field(() => EnvironmentEnum) declare environment: EnvironmentName;
  @Field() declare region: string;
}

@InputType({ description: 'Every given criterion must hold.' })
export class HostFilterInput {
  @Field(() => EnvironmentEnum, { nullable: true }) environment?: EnvironmentName;
  @Field({ nullable: true }) region?: string;
  @Field(() => HostStatusEnum, { nullable: true }) status?: HostStatus;
  @Field({ nullable: true, description: 'Hosts carrying this metadata tag.' }) tag?: string;
  @Field({ nullable: true, description: 'Case-insensitive text in hostId, hostname or ipAddress.' }) search?: string;
}

export function toHostFilter(filter: HostFilterInput | undefined | null): HostFilter {
  return { ...filter };
}

export function toHostPatch(input: HostUpdateInput): HostPatch {
  return {
    hostname: input.hostname,
    ip_address: input.ipAddress,
    environment: input.environment,
    region: input.region,
    location: input.location && { ...input.location },
    ssh_config: input.sshConfig && {
      user: input.sshConfig.user,
      port: input.sshConfig.port,
      key_path: input.sshConfig.keyPath,
      use_sudo: input.sshConfig.useSudo,
      host_key_fingerprint: input.sshConfig.hostKeyFingerprint,
    },
    metadata: input.metadata && { ...input.metadata },
    status: input.status,
  };
}

export function toHostInput(input: HostCreateInput): HostInput {
  return { host_id: input.hostId, ...toHostPatch(input) } as HostInput;
}
