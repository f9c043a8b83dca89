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

/** A valid host shaped like the seed's example; override any top-level field. */
export function hostInput(overrides: Partial<HostInput> = {}): HostInput {
  return {
    host_id: 'host_jeju_mysql_001',
    hostname: 'jeju-mysql',
    ip_address: '10.1.11.81',
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
