import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import { PermissionError } from '@ferry/core';
import type pg from 'pg';

export interface SinkSessionSettings {
  url: string;
  /** Replication origin prefix; each session gets `<prefix>_<n>` (one session per origin). */
  originPrefix: string;
  size: number;
}

/**
 * A fixed set of destination sessions, each prepared for applying: triggers and
 * foreign keys quiet (session_replication_role = replica), writes tagged with
 * its own replication origin so a reverse capture can skip them, and
 * synchronous_commit off: the offsets live in the same transactions as the rows,
 * so a commit lost in a crash is simply applied again.
 */
export class SinkClientPool {
  private readonly idle: pg.Client[] = [];
  private readonly waiting: ((client: pg.Client) => void)[] = [];
  private readonly all: pg.Client[] = [];

  private settings!: SinkSessionSettings;

  private constructor(private readonly log: Logger) {}

  static async open(settings: SinkSessionSettings, log: Logger): Promise<SinkClientPool> {
    const pool = new SinkClientPool(log);
    pool.settings = settings;
    try {
      for (let n = 0; n < settings.size; n++) pool.idle.push(await pool.openSession());
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  async use<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    let client = this.idle.pop() ?? (await new Promise<pg.Client>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(client);
    } catch (error) {
      client = await this.healthy(client);
      throw error;
    } finally {
      const next = this.waiting.shift();
      if (next) next(client);
      else this.idle.push(client);
    }
  }

  /** After a failure: the same session if it still answers, else a new one (the destination restarted or the network broke). */
  private async healthy(client: pg.Client): Promise<pg.Client> {
    try {
      await client.query('SELECT 1');
      return client;
    } catch {
      await client.end().catch(() => undefined);
      this.all.splice(this.all.indexOf(client), 1);
      try {
        return await this.openSession();
      } catch (error) {
        this.log.warn({ err: error }, 'destination unreachable; the session is reopened on the next attempt');
        return client;
      }
    }
  }

  private async openSession(): Promise<pg.Client> {
    const client = await openClient(this.settings.url, {
      applicationName: 'ferry-sink',
      role: 'destination',
      onError: (error) => this.log.warn({ err: error }, 'destination session failed'),
    });
    this.all.push(client);
    await prepareSession(client, this.settings.originPrefix);
    return client;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all.map((c) => c.end()));
    this.log.debug('destination sessions closed');
  }
}

/** Origins a session may take: `<prefix>_0`, `<prefix>_1`, …; another sink process may hold some. */
const MAX_ORIGINS = 64;

async function prepareSession(client: pg.Client, originPrefix: string): Promise<void> {
  try {
    await client.query('SET session_replication_role = replica');
  } catch (error) {
    throw new PermissionError('the sink cannot set session_replication_role = replica on the destination', {
      cause: error,
      fix: 'connect as a superuser, or on PostgreSQL 15+ run: GRANT SET ON PARAMETER session_replication_role TO <sink role>',
    });
  }
  await client.query('SET synchronous_commit = off');
  // A backflow sink writes into the old source, which `ferry cutover --fence read-only` left
  // defaulting to read-only transactions for everyone but Ferry.
  await client.query('SET default_transaction_read_only = off');
  let lastError: unknown;
  for (let n = 0; n < MAX_ORIGINS; n++) {
    const origin = `${originPrefix}_${n}`;
    try {
      await client.query(
        `SELECT pg_replication_origin_create($1) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = $1)`,
        [origin],
      );
      await client.query('SELECT pg_replication_origin_session_setup($1)', [origin]);
      return;
    } catch (error) {
      lastError = error;
      // 55006: this origin is in use by another session; try the next name.
      if ((error as { code?: string }).code !== '55006') break;
    }
  }
  throw new PermissionError(`the sink cannot set up a replication origin "${originPrefix}_N" on the destination`, {
    cause: lastError,
    fix: 'connect as a superuser (replication origins need it), and check that max_replication_slots leaves room for origins',
  });
}
