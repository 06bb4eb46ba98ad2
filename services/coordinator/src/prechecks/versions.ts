import type pg from 'pg';
import { checkDirection, checkSourceVersion, majorOf, type ServerVersion } from './version-support.js';
import type { CheckResult, Precheck, PrecheckContext } from './types.js';

const ID = 'versions';

export const versions: Precheck = {
  id: ID,
  title: 'PostgreSQL versions and direction',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const source = await sourceVersion(ctx);
    const results: CheckResult[] = [checkSourceVersion(ID, source)];
    if (ctx.task.source.failoverSlot && ctx.phases.includes('incremental') && majorOf(source) < 17) {
      results.push({
        id: ID,
        status: 'error',
        message: `source.failoverSlot is set, but failover slots need PostgreSQL 17 or later and the source runs ${source.text}`,
        fix: 'set source.failoverSlot: false (and recreate the slot after a failover), or upgrade the source to 17+',
      });
    }
    for (const destination of ctx.task.destinations) {
      const version = await serverVersion(await ctx.destination(destination));
      results.push(checkDirection(ID, source, version, `destination "${destination.name}"`));
    }
    return results;
  },
};

export async function serverVersion(client: pg.Client): Promise<ServerVersion> {
  const { rows } = await client.query<{ num: number; text: string }>(
    `SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text`,
  );
  return rows[0]!;
}

/** The source's version, read once per run. */
export function sourceVersion(ctx: PrecheckContext): Promise<ServerVersion> {
  return ctx.memo('source-version', async () => serverVersion(await ctx.source()));
}
