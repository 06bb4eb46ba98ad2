import { describeConnection, explainConnectFailure } from './connect-report.js';
import type { Precheck } from './types.js';

const ID = 'source-connect';

export const sourceConnect: Precheck = {
  id: ID,
  title: 'source reachable with the given credentials',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const url = ctx.task.source.url;
    const label = 'the source database';
    const opened = await ctx.tryConnect({ role: 'source' });
    if ('error' in opened) {
      return [
        explainConnectFailure({ checkId: ID, label, url, urlKey: 'source.url', timeoutMs: ctx.connectTimeoutMs }, opened.error),
      ];
    }
    return [await describeConnection(ID, label, url, opened.client)];
  },
};
