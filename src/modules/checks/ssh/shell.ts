import { patterns } from '../../../common/validation.js';

/**
 * Quotes one argument for a POSIX shell. Every value is also checked against a
 * strict pattern before it gets here; quoting is the second lock on the door.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export class UnsafeArgumentError extends Error {}

/** A systemd unit name, validated again at the last moment before it reaches a shell. */
export function safeUnit(unit: string): string {
  if (!patterns.systemdUnit.test(unit)) throw new UnsafeArgumentError(`refusing unit name ${JSON.stringify(unit)}`);
  return shellQuote(unit);
}

export const SYSTEMCTL_ACTIONS = ['restart', 'reload', 'start', 'stop'] as const;
export type SystemctlAction = (typeof SYSTEMCTL_ACTIONS)[number];

/** `[sudo -n] systemctl <action> -- '<unit>'`: `--` so a unit can never be read as an option. */
export function systemctlCommand(action: SystemctlAction | 'show', unit: string, useSudo: boolean): string {
  const properties = action === 'show' ? ' --property=ActiveState,SubState,MainPID,ActiveEnterTimestamp,MemoryCurrent,CPUUsageNSec' : '';
  return `${useSudo ? 'sudo -n ' : ''}systemctl ${action}${properties} -- ${safeUnit(unit)}`;
}
