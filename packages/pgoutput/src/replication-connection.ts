import { ConfigError, InvariantError, Lsn, type FerryError } from '@ferry/core';
import { SESSION_SETTINGS, startupOptionsText } from '@ferry/pg';
import pg from 'pg';
import {
  createSlotCommand,
  dropSlotCommand,
  protocolVersionFor,
  startReplicationCommand,
  supportsLogicalMessages,
  supportsStreaming,
} from './replication-commands.js';
import { replicationError } from './replication-errors.js';
import { ReplicationStream, type ReplicationStreamSettings } from './replication-stream.js';

export interface ReplicationConnectionOptions {
  /**
   * Extra settings for the walsender session, e.g. `logical_decoding_work_mem` (the memory
   * after which a large transaction is streamed or spilled is the walsender's, not the
   * writer's) or `wal_sender_timeout`. They cannot override @ferry/pg's SESSION_SETTINGS.
   */
  settings?: Record<string, string>;
}

export interface SystemIdentity {
  /** 64-bit system identifier, as text. */
  systemId: string;
  timeline: number;
  /** Current WAL flush position. */
  xlogPos: Lsn;
  dbName: string | null;
}

export interface CreateSlotOptions {
  /** Export a snapshot matching the slot's consistent point (default true). */
  exportSnapshot?: boolean;
  /** Dropped when this connection ends (default false). */
  temporary?: boolean;
  /** Keep the slot usable on a promoted standby: PostgreSQL 17+ only (default false). */
  failover?: boolean;
}

export interface CreatedSlot {
  slotName: string;
  /** Changes committed after this position are streamed; the snapshot shows everything before. */
  consistentPoint: Lsn;
  /** For `SET TRANSACTION SNAPSHOT`; null when no snapshot was exported. */
  snapshotName: string | null;
  outputPlugin: string;
}

export interface StartReplicationOptions extends ReplicationStreamSettings {
  slotName: string;
  publications: readonly string[];
  /** Default 0/0: resume from the slot's confirmed_flush_lsn. */
  startLsn?: Lsn;
  /** Default by server major: 1 (10–13), 2 (14), 3 (15), 4 (16+). */
  protoVersion?: number;
  /** Logical decoding messages; default on where supported (14+). */
  messages?: boolean;
  /** Stream large in-progress transactions; default on where supported (14+). */
  streaming?: boolean;
}

type State = 'idle' | 'holding-snapshot' | 'streaming' | 'broken' | 'closed';

/**
 * A walsender session (`replication=database`) on the source. It runs one thing at a time:
 * a replication command, holding an exported snapshot, or one replication stream.
 */
export class ReplicationConnection {
  private state: State = 'idle';
  private brokenBy: FerryError | null = null;
  private hasStreamed = false;

  private constructor(
    private readonly client: pg.Client,
    /** e.g. 130016 for 13.16. */
    readonly serverVersionNum: number,
  ) {
    // Without a listener a dropped socket would crash the process; remember it instead.
    client.on('error', (error) => {
      this.brokenBy ??= replicationError(error, 'replication connection');
      if (this.state !== 'closed') this.state = 'broken';
    });
  }

  /** Opens the connection; `config` is a connection string or pg client settings. */
  static async connect(config: string | pg.ClientConfig, options: ReplicationConnectionOptions = {}): Promise<ReplicationConnection> {
    const base: pg.ClientConfig = typeof config === 'string' ? { connectionString: config } : { ...config };
    const client = new pg.Client({
      ...base,
      // A replication stream is one never-ending query: no client-side timeouts.
      query_timeout: undefined,
      statement_timeout: undefined,
      keepAlive: true,
      options: sessionOptions(base.options, options.settings ?? {}),
      // Every result stays text: pg's global type parsers must not touch replication output.
      types: { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig,
      replication: 'database',
    } as pg.ClientConfig);
    // Until the instance takes over, a socket error must reject the steps below, not crash.
    const ignoreUntilReady = (): void => undefined;
    client.on('error', ignoreUntilReady);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw replicationError(error, 'opening a replication connection');
    }
    try {
      const version = await simpleQuery(client, 'SHOW server_version_num');
      const connection = new ReplicationConnection(client, Number(version[0]?.server_version_num));
      client.off('error', ignoreUntilReady);
      return connection;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw replicationError(error, 'reading the server version');
    }
  }

  get serverMajor(): number {
    return Math.floor(this.serverVersionNum / 10_000);
  }

  /** True between createSlot({ exportSnapshot: true }) and releaseSnapshot(). */
  get holdsSnapshot(): boolean {
    return this.state === 'holding-snapshot';
  }

  async identifySystem(): Promise<SystemIdentity> {
    const rows = await this.command('IDENTIFY_SYSTEM', 'IDENTIFY_SYSTEM');
    const row = rows[0] ?? {};
    return {
      systemId: String(row.systemid),
      timeline: Number(row.timeline),
      xlogPos: Lsn.parse(String(row.xlogpos)),
      dbName: row.dbname ?? null,
    };
  }

  /** A setting of the walsender session, e.g. "TimeZone". */
  async show(setting: string): Promise<string> {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(setting)) throw new ConfigError(`not a setting name: "${setting}"`);
    const rows = await this.command(`SHOW ${setting}`, `SHOW ${setting}`);
    return String(Object.values(rows[0] ?? {})[0]);
  }

  /**
   * Creates a logical slot for pgoutput. With an exported snapshot (the default) the
   * snapshot stays valid only while this connection does nothing else: the server drops it
   * at the next command. So the connection then refuses every call until releaseSnapshot(),
   * which the caller makes once every snapshot worker has run `SET TRANSACTION SNAPSHOT`.
   */
  async createSlot(slotName: string, options: CreateSlotOptions = {}): Promise<CreatedSlot> {
    const exportSnapshot = options.exportSnapshot ?? true;
    const failover = options.failover ?? false;
    if (failover && this.serverMajor < 17) {
      throw new ConfigError(`failover slots need PostgreSQL 17 or newer; this server is ${this.serverMajor}`, [], {
        fix: 'create the slot without failover',
      });
    }
    const text = createSlotCommand(slotName, { exportSnapshot, temporary: options.temporary ?? false, failover });
    const rows = await this.command(text, `creating replication slot "${slotName}"`);
    const row = rows[0] ?? {};
    if (exportSnapshot) this.state = 'holding-snapshot';
    return {
      slotName: String(row.slot_name),
      consistentPoint: Lsn.parse(String(row.consistent_point)),
      snapshotName: row.snapshot_name ?? null,
      outputPlugin: String(row.output_plugin),
    };
  }

  /** Ends the exported snapshot (any command does; we send IDENTIFY_SYSTEM). */
  async releaseSnapshot(): Promise<void> {
    if (this.state !== 'holding-snapshot') return;
    this.state = 'idle';
    await this.command('IDENTIFY_SYSTEM', 'releasing the exported snapshot');
  }

  /** Drops a slot. `wait` blocks while another session still uses it; `missingOk` ignores an absent slot. */
  async dropSlot(slotName: string, options: { wait?: boolean; missingOk?: boolean } = {}): Promise<void> {
    try {
      await this.command(dropSlotCommand(slotName, options.wait ?? false), `dropping replication slot "${slotName}"`);
    } catch (error) {
      const sqlstate = (error as FerryError).context?.sqlstate;
      if (options.missingOk && sqlstate === '42704') return;
      throw error;
    }
  }

  /**
   * Starts streaming changes of `publications` from the slot. The connection is busy until
   * the stream's close() resolves, and streams only once: reconnect to stream again.
   */
  startReplication(options: StartReplicationOptions): ReplicationStream {
    this.assertIdle('start replication');
    if (this.hasStreamed) {
      // The walsender does not reset its end-of-streaming flags for logical replication: a
      // second START_REPLICATION in one session ends at once, without CopyDone.
      throw new InvariantError('a replication connection runs START_REPLICATION only once; open a new connection to stream again');
    }
    const major = this.serverMajor;
    const protoVersion = options.protoVersion ?? protocolVersionFor(major);
    const messages = options.messages ?? supportsLogicalMessages(major);
    const streaming = options.streaming ?? supportsStreaming(major);
    if (messages && !supportsLogicalMessages(major)) {
      throw new ConfigError(`pgoutput sends logical decoding messages only on PostgreSQL 14+; this server is ${major}`);
    }
    if (streaming && (!supportsStreaming(major) || protoVersion < 2)) {
      throw new ConfigError(`streaming in-progress transactions needs PostgreSQL 14+ and proto_version 2+`);
    }
    const command = startReplicationCommand({
      slotName: options.slotName,
      startLsn: options.startLsn ?? Lsn.ZERO,
      protoVersion,
      publications: options.publications,
      messages,
      streaming,
    });
    this.state = 'streaming';
    this.hasStreamed = true;
    return new ReplicationStream(
      this.client,
      command,
      options.slotName,
      { ...options, parallelStreaming: false },
      (usable) => {
        if (this.state === 'streaming') this.state = usable ? 'idle' : 'broken';
      },
    );
  }

  /** Closes the connection; a temporary slot and an exported snapshot go with it. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.client.end().catch(() => undefined);
  }

  private async command(text: string, action: string): Promise<Record<string, string | null>[]> {
    this.assertIdle(action);
    try {
      return await simpleQuery(this.client, text);
    } catch (error) {
      throw replicationError(error, action);
    }
  }

  private assertIdle(action: string): void {
    if (this.state === 'idle') return;
    const reasons: Record<Exclude<State, 'idle'>, string> = {
      'holding-snapshot':
        'it holds an exported snapshot that the next command would end; call releaseSnapshot() once every worker has imported it',
      streaming: 'a replication stream is running on it; close() the stream first',
      broken: `it failed${this.brokenBy ? ` (${this.brokenBy.message})` : ''}; open a new connection`,
      closed: 'it is closed',
    };
    throw new InvariantError(`cannot ${action} on this replication connection: ${reasons[this.state]}`);
  }
}

async function simpleQuery(client: pg.Client, text: string): Promise<Record<string, string | null>[]> {
  // A plain string (no values) uses the simple query protocol, the only one a walsender speaks.
  const result = await client.query<Record<string, string | null>>(text);
  return result.rows;
}

/**
 * The startup `options`: the caller's, then Ferry's fixed session settings last so they win.
 * pgoutput prints values with the type output functions in the walsender process, so the
 * same settings as every other Ferry session fix the text forms there too.
 */
function sessionOptions(callerOptions: string | undefined, extra: Record<string, string>): string {
  return [callerOptions, startupOptionsText({ ...extra, ...SESSION_SETTINGS })].filter(Boolean).join(' ');
}
