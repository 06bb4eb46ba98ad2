import type pg from 'pg';
import { MARKER_TABLE } from './databases.js';
import { waitUntil, withClient } from './sql.js';

/**
 * What pgbench changed, in a form both sides can compute: history rows and their sum,
 * every teller and branch balance, the balances of the accounts pgbench touched since
 * a point in time (each transaction writes its account id into pgbench_history), and
 * the marker rows. Equal fingerprints mean the destination holds every change.
 */
export interface Fingerprint {
  history: string;
  tellers: string;
  branches: string;
  markers: string;
  accounts: string;
}

/** The account ids pgbench touched since `since` (a source timestamp). */
export async function touchedAccounts(sourceUrl: string, since: Date): Promise<number[]> {
  return withClient(sourceUrl, async (client) => {
    const { rows } = await client.query<{ aids: number[] | null }>(
      'SELECT array_agg(DISTINCT aid) AS aids FROM pgbench_history WHERE mtime >= $1',
      [since],
    );
    return rows[0]!.aids ?? [];
  });
}

/** The cheap part: small tables and counts. */
async function cheapPart(client: pg.Client): Promise<Omit<Fingerprint, 'accounts'>> {
  const { rows } = await client.query<Omit<Fingerprint, 'accounts'>>(`SELECT
      (SELECT count(*) || '/' || coalesce(sum(delta), 0) FROM pgbench_history) AS history,
      (SELECT md5(string_agg(tid || ':' || tbalance, ',' ORDER BY tid)) FROM pgbench_tellers) AS tellers,
      (SELECT md5(string_agg(bid || ':' || bbalance, ',' ORDER BY bid)) FROM pgbench_branches) AS branches,
      (SELECT count(*)::text FROM ${MARKER_TABLE}) AS markers`);
  return rows[0]!;
}

async function accountsPart(client: pg.Client, aids: readonly number[]): Promise<string> {
  const { rows } = await client.query<{ digest: string }>(
    `SELECT md5(coalesce(string_agg(aid || ':' || abalance, ',' ORDER BY aid), '')) AS digest FROM pgbench_accounts WHERE aid = ANY($1::int[])`,
    [aids],
  );
  return rows[0]!.digest;
}

export async function fingerprint(url: string, aids: readonly number[]): Promise<Fingerprint> {
  return withClient(url, async (client) => ({ ...(await cheapPart(client)), accounts: await accountsPart(client, aids) }));
}

function sameCheap(a: Omit<Fingerprint, 'accounts'>, b: Omit<Fingerprint, 'accounts'>): boolean {
  return a.history === b.history && a.tellers === b.tellers && a.branches === b.branches && a.markers === b.markers;
}

/** No change at all on the destination for this long while behind: the pipeline is stuck. */
const STALL_MS = 180_000;

/**
 * Polls the destination until it matches `want`. The cheap part is polled every `everyMs`;
 * the account balances (an index probe per touched account) only once the cheap part matches,
 * so polling costs the destination little while it is applying. Fails early when nothing
 * changes for three minutes (e.g. changes lost upstream: the destination will never match).
 */
export async function waitForFingerprint(destUrl: string, want: Fingerprint, aids: readonly number[], timeoutMs: number, everyMs = 100): Promise<void> {
  let last = '';
  let lastChange = Date.now();
  await withClient(destUrl, (client) =>
    waitUntil(
      'the destination to hold every change',
      async () => {
        const cheap = await cheapPart(client);
        const have: Fingerprint = { ...cheap, accounts: sameCheap(cheap, want) ? await accountsPart(client, aids) : '' };
        if (have.accounts === want.accounts) return true;
        const seen = JSON.stringify(have);
        if (seen !== last) [last, lastChange] = [seen, Date.now()];
        if (Date.now() - lastChange > STALL_MS) {
          throw new Error(`the destination stopped changing ${STALL_MS / 1000} s ago and still differs from the source: have ${seen}, want ${JSON.stringify(want)}`);
        }
        return false;
      },
      timeoutMs,
      everyMs,
    ),
  );
}
