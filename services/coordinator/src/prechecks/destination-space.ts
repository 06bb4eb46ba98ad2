import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { ResolvedDestination } from '@ferry/config';
import { count } from './name-list.js';
import { selectedTables } from './source-inventory.js';
import type { CheckResult, Precheck, PrecheckContext } from './types.js';

const ID = 'destination-space';
/** Indexes are rebuilt, WAL is written during the load and rows bloat under updates: ask for headroom. */
export const HEADROOM = 1.5;

export const destinationSpace: Precheck = {
  id: ID,
  title: 'disk space on the destinations',
  appliesTo: ['full', 'incremental'],
  async run(ctx) {
    const tables = await selectedTables(ctx);
    const needed = tables.reduce((sum, t) => sum + t.totalBytes, 0n);
    const results: CheckResult[] = [];
    for (const destination of ctx.task.destinations) {
      const free = await freeSpace(ctx, destination);
      results.push(spaceResult(`destination "${destination.name}"`, needed, tables.length, free));
    }
    return results;
  },
};

export type FreeSpace = { known: true; bytes: bigint; where: string } | { known: false; why: string };

/** Pure: the finding for a needed size (source tables with indexes and TOAST) and what is known of the free space. */
export function spaceResult(where: string, needed: bigint, tableCount: number, free: FreeSpace): CheckResult {
  const need = `the ${count(tableCount, 'selected table')} take ${formatBytes(needed)} on the source (with indexes and TOAST)`;
  if (!free.known) {
    return {
      id: ID,
      status: 'warning',
      message: `the free disk space of ${where} cannot be known (${free.why}); ${need}`,
      fix: `check that the volume of ${where} has at least ${formatBytes(scaled(needed, HEADROOM))} free (the data plus ${Math.round((HEADROOM - 1) * 100)}% for WAL and index builds)`,
    };
  }
  const wanted = scaled(needed, HEADROOM);
  if (free.bytes < needed) {
    return {
      id: ID,
      status: 'error',
      message: `${where} has ${formatBytes(free.bytes)} free on ${free.where}; ${need}`,
      fix: `free space or grow the volume of ${where} to at least ${formatBytes(wanted)} free, or select fewer tables`,
    };
  }
  if (free.bytes < wanted) {
    return {
      id: ID,
      status: 'warning',
      message: `${where} has ${formatBytes(free.bytes)} free on ${free.where}; ${need}: little room is left for WAL and index builds`,
      fix: `make at least ${formatBytes(wanted)} free on ${where}`,
    };
  }
  return { id: ID, status: 'pass', message: `${where} has ${formatBytes(free.bytes)} free on ${free.where}; ${need}` };
}

/**
 * SQL cannot tell free disk space. When the destination runs on this machine and
 * the role may read data_directory, the file system is asked directly; the
 * directory's postmaster.pid must name the same port, so a container's path that
 * happens to exist here too is never measured by mistake.
 */
async function freeSpace(ctx: PrecheckContext, destination: ResolvedDestination): Promise<FreeSpace> {
  if (!isLocalUrl(destination.url)) return { known: false, why: 'it runs on another machine and SQL has no function for free disk space' };
  const client = await ctx.destination(destination);
  const dataDir = await readDataDirectory(client);
  if (!dataDir) return { known: false, why: 'the destination role may not read data_directory (needs pg_read_all_settings)' };
  try {
    const { rows } = await client.query<{ port: string }>(`SELECT current_setting('port') AS port`);
    const pid = await readFile(path.join(dataDir.dir, 'postmaster.pid'), 'utf8');
    if (pid.split('\n')[3]?.trim() !== rows[0]!.port) {
      return { known: false, why: `${dataDir.dir} on this machine is not the data directory of that server` };
    }
    const stats = await statfs(dataDir.dir, { bigint: true });
    return { known: true, bytes: stats.bavail * stats.bsize, where: dataDir.dir };
  } catch {
    return { known: false, why: `the data directory ${dataDir.dir} cannot be read from this machine` };
  }
}

async function readDataDirectory(client: pg.Client): Promise<{ dir: string } | undefined> {
  const { rows } = await client.query<{ allowed: boolean }>(`SELECT pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') AS allowed`);
  if (!rows[0]?.allowed) return undefined;
  const { rows: dirRows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
  return dirRows[0] ? { dir: dirRows[0].dir } : undefined;
}

export function isLocalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    const host = u.searchParams.get('host') ?? u.hostname;
    return ['', 'localhost', '127.0.0.1', '[::1]', '::1'].includes(host) || host.startsWith('/') || /^127\./.test(host);
  } catch {
    // WHATWG URL rejects user-info without a host, which libpq allows for sockets.
    return /[?&]host=(\/|%2F)/i.test(url);
  }
}

function scaled(bytes: bigint, factor: number): bigint {
  return (bytes * BigInt(Math.round(factor * 100))) / 100n;
}

/** 0 → "0 B", 1536 → "1.5 KiB", 5 * 2^30 → "5.0 GiB". */
export function formatBytes(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
