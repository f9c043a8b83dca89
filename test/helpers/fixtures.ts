import { createHash } from 'node:crypto';
import { createDomain, type Domain } from '../../src/modules/domain.js';
import type { HostInput } from '../../src/modules/hosts/host.input.js';
import type { ServiceInput } from '../../src/modules/services/service.input.js';
import { InvalidInputError } from '../../src/common/errors.js';
import { expect } from 'vitest';
import { expectDomainError } from './database.js';

export const settings = { historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 } as const;

export function domain(): Domain {
  return createDomain(settings);
}

/**
 * An address of its own for each host id (one machine is one host, so two hosts cannot share one): the seed's
 * example keeps its 10.1.11.81.
 */
export function addressFor(hostId: string): string {
  if (hostId === 'host_jeju_mysql_001') return '10.1.11.81';
  const [a, b, c] = createHash('sha256').update(hostId).digest();
  return `10.${a}.${b}.${(c! % 250) + 2}`;
}

/** A loopback address of its own for each host id: connecting to it is refused at once (nothing listens there). */
export function loopbackFor(hostId: string): string {
  const [a, b] = createHash('sha256').update(hostId).digest();
  return `127.${a}.${b! % 250}.${(a! % 250) + 2}`;
}

/** A valid host shaped like the seed's example; override any top-level field. */
export function hostInput(overrides: Partial<HostInput> = {}): HostInput {
  return {
    host_id: 'host_jeju_mysql_001',
    hostname: 'jeju-mysql',
    ip_address: addressFor(overrides.host_id ?? 'host_jeju_mysql_001'),
    environment: 'production',
    region: 'asia-pacific',
    ssh_config: { user: 'ubuntu' },
    ...overrides,
  };
}

/** A valid service on `host_jeju_mysql_001`; override any top-level field. */
export function serviceInput(overrides: Partial<ServiceInput> = {}): ServiceInput {
  return {
    service_id: 'svc_jeju_mysql_001',
    host_id: 'host_jeju_mysql_001',
    service_name: 'mysql.service',
    service_type: 'mysql',
    ...overrides,
  };
}

/**
 * Awaits a rejection that must be BAD_USER_INPUT naming `field` among its
 * problems; returns the error so a test can check the message too.
 */
export async function expectInvalid(promise: Promise<unknown>, field: string): Promise<InvalidInputError> {
  const error = await expectDomainError<InvalidInputError>(promise, 'BAD_USER_INPUT');
  expect(error).toBeInstanceOf(InvalidInputError);
  expect(error.problems.map((p) => p.field)).toContain(field);
  expect(error.message).not.toMatch(/E11000|ValidationError|Cast to/);
  return error;
}

/** Shifts an instant by whole seconds. */
export const plusSeconds = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000);
