import { patterns } from '../../common/validation.js';
import type { Service } from './service.model.js';

/** Checks that run a command on the host over SSH. */
const OVER_SSH = new Set(['ssh', 'custom']);

type Reach = { monitoring?: Pick<Service['monitoring'], 'method'>; recovery?: Pick<Service['recovery'], 'recover_on_down'> };

/** Whether the service reaches its host over SSH: its check runs there, or a recovery restarts its unit. */
export const usesSsh = (service: Reach): boolean => OVER_SSH.has(service.monitoring?.method ?? 'ssh') || service.recovery?.recover_on_down === true;

/**
 * A service's name: where it reaches `systemctl` (an SSH check, recovery) the systemd unit pattern (what keeps it
 * from being a shell injection); otherwise a readable name ("Company website"), still a safe pattern. Read
 * without its service (a stored document's field alone), either passes.
 */
export function validServiceName(this: unknown, value: string): boolean {
  const service = this as Reach | undefined;
  if (service?.monitoring && usesSsh(service)) return patterns.systemdUnit.test(value);
  return patterns.systemdUnit.test(value) || patterns.readableName.test(value);
}

export const SERVICE_NAME_RULE = 'a systemd unit name such as mysql.service (letters, digits, : _ . @ -), or, for a service that uses no SSH, a readable name (letters, digits, spaces, _ . : @ ( ) / -)';

/** `mysql` from `mysql.service`, `postgresql` from `postgresql@14-main.service`. */
export function serviceTypeOf(unit: string): string {
  return unit.split(/[.@]/)[0]!.toLowerCase();
}

/** The type of a service created without one: the unit's name for an SSH check, else the check's method (http...). */
export function defaultServiceType(service: Pick<Service, 'service_name'> & Reach): string {
  const method = service.monitoring?.method ?? 'ssh';
  if (!OVER_SSH.has(method)) return method;
  const fromUnit = serviceTypeOf(service.service_name ?? '');
  return patterns.allowListName.test(fromUnit) ? fromUnit : method;
}
