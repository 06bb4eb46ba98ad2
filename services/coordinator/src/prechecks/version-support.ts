import type { CheckResult } from './types.js';

/** The majors Ferry reads from: pgoutput logical decoding exists from 10; 18 is the newest tested. */
export const SUPPORTED_SOURCE_MAJORS = { min: 10, max: 18 } as const;

export interface ServerVersion {
  /** server_version_num, e.g. 130016. */
  num: number;
  /** server_version as the server prints it, e.g. "13.16". */
  text: string;
}

/** 130016 → 13, 90624 → 9 (before 10 the major had two parts; 9.6 counts as 9 here). */
export function majorOf(version: ServerVersion): number {
  return Math.floor(version.num / 10_000);
}

/** The source major must be one Ferry reads from. */
export function checkSourceVersion(id: string, source: ServerVersion): CheckResult {
  const major = majorOf(source);
  const { min, max } = SUPPORTED_SOURCE_MAJORS;
  if (major < min) {
    return {
      id,
      status: 'error',
      message: `the source runs PostgreSQL ${source.text}; Ferry needs PostgreSQL ${min} to ${max} (logical decoding with pgoutput starts at ${min})`,
      fix: `upgrade the source to PostgreSQL ${min} or later first (pg_upgrade), then migrate with Ferry`,
    };
  }
  if (major > max) {
    return {
      id,
      status: 'error',
      message: `the source runs PostgreSQL ${source.text}; this Ferry supports sources of PostgreSQL ${min} to ${max}`,
      fix: `use a Ferry release that supports PostgreSQL ${major}`,
    };
  }
  return { id, status: 'pass', message: `the source runs PostgreSQL ${source.text} (supported: ${min} to ${max})` };
}

/** The destination may be the same major or newer; an older one is a downgrade. */
export function checkDirection(id: string, source: ServerVersion, destination: ServerVersion, label: string): CheckResult {
  const from = majorOf(source);
  const to = majorOf(destination);
  const pair = `source PostgreSQL ${source.text} → ${label} PostgreSQL ${destination.text}`;
  if (to < from) {
    return {
      id,
      status: 'error',
      message: `${pair} is a downgrade: objects, syntax and types of PostgreSQL ${from} may not exist in ${to}`,
      fix: `migrate to a destination running PostgreSQL ${from} or newer`,
    };
  }
  if (to > SUPPORTED_SOURCE_MAJORS.max) {
    return {
      id,
      status: 'warning',
      message: `${pair}: PostgreSQL ${to} is newer than any Ferry was tested with (up to ${SUPPORTED_SOURCE_MAJORS.max})`,
      fix: 'run a trial migration into a scratch database first, or use a Ferry release that supports it',
    };
  }
  const how = to === from ? 'same major version' : `upgrade by ${to - from} major version${to - from === 1 ? '' : 's'}`;
  return { id, status: 'pass', message: `${pair} (${how})` };
}
