import { ConfigError } from '@ferry/core';

/** How application writes to the source are stopped. */
export type FenceSpec =
  | { kind: 'roles'; roles: string[] }
  | { kind: 'read-only' }
  /** The operator stopped the applications already. */
  | { kind: 'none' };

export interface CutoverOptions {
  fence: FenceSpec;
  /** Refuse when the destination is this far behind or more. */
  maxLagSeconds: number;
  /** Give up (and restore the source) when the destination has not applied the marker by then. */
  drainTimeoutSeconds: number;
  backflow: boolean;
}

export const DEFAULT_MAX_LAG_SECONDS = 1;
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 120;

const FENCE_HELP =
  'say how application writes stop: --fence roles:app_rw,app_batch (those roles lose LOGIN and their sessions end), ' +
  '--fence read-only (the database defaults to read-only and other sessions end), or --fence none (you stopped the applications yourself)';

/** `roles:a,b` | `read-only` | `none`. A fence is required: a cutover with writes still going on would lose them. */
export function parseFence(text: string | undefined): FenceSpec {
  if (text === undefined) throw new ConfigError('ferry cutover needs --fence', [], { fix: FENCE_HELP });
  if (text === 'read-only') return { kind: 'read-only' };
  if (text === 'none') return { kind: 'none' };
  if (text.startsWith('roles:')) {
    const roles = text
      .slice('roles:'.length)
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
    if (roles.length > 0) return { kind: 'roles', roles: [...new Set(roles)] };
  }
  throw new ConfigError(`--fence ${JSON.stringify(text)} is not a fence`, [], { fix: FENCE_HELP });
}

/** A non-negative number of seconds from a flag, or the default. */
export function parseSeconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`--${flag} expects a number of seconds, got ${JSON.stringify(text)}`, [], { fix: `e.g. --${flag} ${fallback}` });
  }
  return value;
}
