import { isIP } from 'node:net';

/**
 * Strict patterns for every string that identifies something or may later reach
 * a shell over SSH. Each is anchored and starts with an alphanumeric so a value
 * can never be read as a command-line option.
 */
export const patterns = {
  /** host_id, service_id: `host_jeju_mysql_001`. */
  id: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
  /** RFC 1123 host name, dotted labels of letters, digits and inner hyphens. */
  hostname: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  /**
   * systemd unit name (systemd.unit(5)): letters, digits and `:_.@-`, at most 255 characters.
   * The backslash escapes of systemd-escape are refused: nothing we monitor needs them.
   */
  systemdUnit: /^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,254}$/,
  /** Region or datacenter label: `asia-pacific`, `us-east-1`, `Seoul-DC1`. */
  label: /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/,
  /** POSIX-portable user name as accepted by useradd. */
  unixUser: /^[a-z_][a-z0-9_-]{0,31}$/,
  /** Absolute path to a key file, without shell metacharacters or `..` segments. */
  absolutePath: /^(?!.*\/\.\.(?:\/|$))\/[A-Za-z0-9_./@+-]{1,4095}$/,
  /** Name of an entry in a server-side allow-list (custom checks and recovery scripts). */
  allowListName: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  /** Free-form tag: `mysql`, `backup-enabled`, `team:db`. */
  tag: /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/,
  /** `#RRGGBB` colour. */
  hexColor: /^#[0-9A-Fa-f]{6}$/,
  /** `HH:MM`, 24-hour clock. */
  clockTime: /^(?:[01]\d|2[0-3]):[0-5]\d$/,
} as const;

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** How a tag must look, for error messages. */
export const TAG_RULE = 'letters, digits and _ . : / - (max 64), starting alphanumeric';

export const CHECK_TARGET_SCHEMES = ['http:', 'https:', 'tcp:', 'postgresql:', 'postgres:', 'mysql:', 'redis:', 'mongodb:'] as const;

/** A URL the http, tcp or database checkers can reach. */
export function isCheckTarget(value: string): boolean {
  try {
    const url = new URL(value);
    return (CHECK_TARGET_SCHEMES as readonly string[]).includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}
