import type { ResolvedDestination } from '@ferry/config';
import { majorOf } from './version-support.js';
import { serverVersion } from './versions.js';
import type { PrecheckContext } from './types.js';

export interface InstalledExtension {
  name: string;
  version: string;
}

export interface AvailableExtension {
  name: string;
  /** What CREATE EXTENSION installs without VERSION. */
  defaultVersion: string | null;
  installedVersion: string | null;
  /** Every version the server's packages can install. */
  versions: string[];
  /** Installing the default version needs a superuser (not trusted, superuser-only). */
  needsSuperuser: boolean;
}

export function sourceExtensions(ctx: PrecheckContext): Promise<InstalledExtension[]> {
  return ctx.memo('source-extensions', async () => {
    const client = await ctx.source();
    const { rows } = await client.query<InstalledExtension>(`SELECT extname AS name, extversion AS version FROM pg_extension ORDER BY 1`);
    return rows;
  });
}

export function destinationExtensions(ctx: PrecheckContext, destination: ResolvedDestination): Promise<AvailableExtension[]> {
  return ctx.memo(`destination-extensions:${destination.name}`, async () => {
    const client = await ctx.destination(destination);
    // "trusted" extensions (creatable by a database owner) arrived in PostgreSQL 13.
    const trusted = majorOf(await serverVersion(client)) >= 13 ? 'v.trusted' : 'false';
    const { rows } = await client.query<{
      name: string;
      default_version: string | null;
      installed_version: string | null;
      versions: string[] | null;
      needs_superuser: boolean | null;
    }>(
      `SELECT a.name, a.default_version, a.installed_version,
              (SELECT array_agg(v.version::text) FROM pg_available_extension_versions v WHERE v.name = a.name) AS versions,
              (SELECT v.superuser AND NOT ${trusted} FROM pg_available_extension_versions v
                WHERE v.name = a.name AND v.version = a.default_version) AS needs_superuser
         FROM pg_available_extensions a ORDER BY 1`,
    );
    return rows.map((r) => ({
      name: r.name,
      defaultVersion: r.default_version,
      installedVersion: r.installed_version,
      versions: r.versions ?? [],
      needsSuperuser: r.needs_superuser ?? true,
    }));
  });
}

/**
 * Orders extension versions: numeric parts as numbers ("1.10" > "1.9"), other
 * parts as text and below numbers, a missing part first ("1.2" < "1.2.1").
 * Negative, zero or positive, for sort().
 */
export function compareExtensionVersions(a: string, b: string): number {
  const pa = a.split(/[^0-9A-Za-z]+/).filter((p) => p.length > 0);
  const pb = b.split(/[^0-9A-Za-z]+/).filter((p) => p.length > 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : undefined;
    const ny = /^\d+$/.test(y) ? Number(y) : undefined;
    if (nx !== undefined && ny !== undefined) {
      if (nx !== ny) return nx - ny;
    } else if (nx !== undefined || ny !== undefined) {
      // A number beats a word ("1.0" > "unpackaged", "2.0" > "2.beta").
      return nx !== undefined ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}
