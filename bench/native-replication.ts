import type pg from 'pg';
import { query, quoteIdent, waitUntil, withClient } from './sql.js';

/**
 * PostgreSQL's own logical replication, the reference: a publication on the source,
 * a subscription on the destination whose initial copy and apply run in the server.
 */
export class NativeReplication {
  constructor(
    private readonly sourceUrl: string,
    private readonly destUrl: string,
    readonly name: string,
  ) {}

  /** The slot the subscription made on the source (named after it). */
  get slot(): string {
    return this.name;
  }

  async createPublication(tables: readonly string[]): Promise<void> {
    await query(this.sourceUrl, `CREATE PUBLICATION ${quoteIdent(this.name)} FOR TABLE ${tables.map(quoteIdent).join(', ')}`);
  }

  /** CREATE SUBSCRIPTION starts the initial copy of every table at once. */
  async createSubscription(): Promise<void> {
    await withClient(this.destUrl, async (client) => {
      // CREATE SUBSCRIPTION takes no parameters: the connection string is an escaped literal.
      const conninfo = client.escapeLiteral(this.sourceUrl);
      await client.query(`CREATE SUBSCRIPTION ${quoteIdent(this.name)} CONNECTION ${conninfo} PUBLICATION ${quoteIdent(this.name)}`);
    });
  }

  /** Every table's initial copy done and the apply worker in charge (srsubstate = 'r'). */
  async waitAllReady(timeoutMs: number): Promise<void> {
    await withClient(this.destUrl, (client) =>
      waitUntil('the native subscription to have copied every table', () => this.allReady(client), timeoutMs, 100),
    );
  }

  private async allReady(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ total: string; ready: string }>(
      `SELECT count(*)::text AS total, count(*) FILTER (WHERE r.srsubstate = 'r')::text AS ready
         FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1`,
      [this.name],
    );
    return Number(rows[0]!.total) > 0 && rows[0]!.total === rows[0]!.ready;
  }

  async enable(): Promise<void> {
    await query(this.destUrl, `ALTER SUBSCRIPTION ${quoteIdent(this.name)} ENABLE`);
  }

  /** Disables the subscription and waits until its walsender on the source is gone. */
  async disable(): Promise<void> {
    await query(this.destUrl, `ALTER SUBSCRIPTION ${quoteIdent(this.name)} DISABLE`);
    await withClient(this.sourceUrl, (client) =>
      waitUntil(
        'the native subscription to disconnect',
        async () => (await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [this.slot])).rowCount === 1,
        60_000,
        100,
      ),
    );
  }

  /** DROP SUBSCRIPTION also drops its slot on the source; then the publication goes. */
  async drop(): Promise<void> {
    await query(this.destUrl, `DROP SUBSCRIPTION IF EXISTS ${quoteIdent(this.name)}`).catch(async () => {
      // The source unreachable: detach the slot so the subscription can go, and drop the slot below.
      await query(this.destUrl, `ALTER SUBSCRIPTION ${quoteIdent(this.name)} DISABLE`).catch(() => undefined);
      await query(this.destUrl, `ALTER SUBSCRIPTION ${quoteIdent(this.name)} SET (slot_name = NONE)`);
      await query(this.destUrl, `DROP SUBSCRIPTION IF EXISTS ${quoteIdent(this.name)}`);
    });
    await query(this.sourceUrl, 'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [this.slot]);
    await query(this.sourceUrl, `DROP PUBLICATION IF EXISTS ${quoteIdent(this.name)}`);
  }
}
