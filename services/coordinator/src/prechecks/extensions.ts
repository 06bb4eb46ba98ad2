import { quoteIdent } from '@ferry/pg';
import { compareExtensionVersions, destinationExtensions, sourceExtensions, type AvailableExtension, type InstalledExtension } from './extension-inventory.js';
import { listNames } from './name-list.js';
import { currentRole } from './source-inventory.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'extensions';

export const extensions: Precheck = {
  id: ID,
  title: 'source extensions available on the destinations',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const installed = await sourceExtensions(ctx);
    const results: CheckResult[] = [];
    for (const destination of ctx.task.destinations) {
      const available = await destinationExtensions(ctx, destination);
      const role = await currentRole(await ctx.destination(destination));
      results.push(
        ...compareExtensions(installed, available, {
          where: `destination "${destination.name}"`,
          createsSchema: ctx.phases.includes('schema'),
          superuser: role.superuser,
        }),
      );
    }
    return results;
  },
};

export interface ExtensionCompareOptions {
  where: string;
  /** The schema phase creates the extensions; creating some needs a superuser. */
  createsSchema: boolean;
  superuser: boolean;
}

/**
 * Pure: every extension installed in the source database must be installable on
 * the destination (error otherwise); a destination whose newest version is older
 * than the source's gets a warning (objects of the newer version may be missing).
 */
export function compareExtensions(
  installed: readonly InstalledExtension[],
  available: readonly AvailableExtension[],
  options: ExtensionCompareOptions,
): CheckResult[] {
  const byName = new Map(available.map((a) => [a.name, a]));
  const results: CheckResult[] = [];
  const missing = installed.filter((e) => !byName.has(e.name));
  if (missing.length > 0) {
    const names = missing.map((e) => `${e.name} ${e.version}`);
    results.push({
      id: ID,
      status: 'error',
      message: `${missing.length === 1 ? 'an extension' : `${missing.length} extensions`} of the source database ${missing.length === 1 ? 'is' : 'are'} not available on ${options.where}: ${listNames(names)}`,
      fix: `install ${missing.length === 1 ? 'its package' : 'their packages'} on the ${options.where} server (e.g. the postgresql-<major>-<extension> package), or drop ${missing.length === 1 ? 'it' : 'them'} from the source if unused`,
      objects: missing.map((e) => e.name),
    });
  }

  const older: string[] = [];
  const olderNames: string[] = [];
  const needSuperuser: InstalledExtension[] = [];
  for (const ext of installed) {
    const target = byName.get(ext.name);
    if (!target) continue;
    const newest = newestVersion(target);
    const have = target.installedVersion;
    if (have !== null && compareExtensionVersions(have, ext.version) < 0) {
      older.push(`${ext.name} (installed ${have}, source ${ext.version})`);
      olderNames.push(ext.name);
    } else if (have === null && newest !== undefined && compareExtensionVersions(newest, ext.version) < 0) {
      older.push(`${ext.name} (up to ${newest}, source ${ext.version})`);
      olderNames.push(ext.name);
    }
    if (have === null && options.createsSchema && !options.superuser && target.needsSuperuser) needSuperuser.push(ext);
  }
  if (older.length > 0) {
    results.push({
      id: ID,
      status: 'warning',
      message: `${options.where} has older versions of ${older.length === 1 ? 'an extension' : `${older.length} extensions`} than the source: ${listNames(older)}. Functions or types added in the newer versions will be missing`,
      fix: `update the extension packages on the ${options.where} server; for an installed one then run ALTER EXTENSION <name> UPDATE;`,
      objects: olderNames,
    });
  }
  if (needSuperuser.length > 0) {
    results.push({
      id: ID,
      status: 'error',
      message: `creating ${listNames(needSuperuser.map((e) => e.name))} on ${options.where} needs a superuser (not a trusted extension), and the destination role is not one`,
      fix: `as a superuser on ${options.where}: ${needSuperuser.map((e) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)};`).join(' ')}`,
      objects: needSuperuser.map((e) => e.name),
    });
  }
  if (results.length === 0) {
    results.push({
      id: ID,
      status: 'pass',
      message: `every extension of the source database is available on ${options.where}: ${listNames(installed.map((e) => e.name))}`,
    });
  }
  return results;
}

function newestVersion(ext: AvailableExtension): string | undefined {
  const all = [...ext.versions, ...(ext.defaultVersion ? [ext.defaultVersion] : [])];
  return all.sort(compareExtensionVersions).at(-1);
}
