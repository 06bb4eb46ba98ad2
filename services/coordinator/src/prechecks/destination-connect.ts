import { describeConnection, explainConnectFailure } from './connect-report.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'destination-connect';

export const destinationConnect: Precheck = {
  id: ID,
  title: 'destinations reachable with the given credentials',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const results: CheckResult[] = [];
    for (const [index, destination] of ctx.task.destinations.entries()) {
      const label = `destination "${destination.name}"`;
      const urlKey = ctx.task.destinations.length === 1 ? 'destination.url' : `destinations[${index}].url`;
      const opened = await ctx.tryConnect({ role: 'destination', destination });
      if ('error' in opened) {
        results.push(explainConnectFailure({ checkId: ID, label, url: destination.url, urlKey, timeoutMs: ctx.connectTimeoutMs }, opened.error));
        continue;
      }
      results.push(await describeConnection(ID, label, destination.url, opened.client));
      const { rows } = await opened.client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (rows[0]!.standby) {
        results.push({
          id: ID,
          status: 'error',
          message: `${label} is a standby in recovery: it is read-only and cannot receive the data`,
          fix: `point ${urlKey} at the primary server`,
        });
      }
    }
    return results;
  },
};
