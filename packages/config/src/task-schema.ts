import { z } from 'zod';

/**
 * The task file: one typed schema is the single source of truth for validation,
 * defaults and the generated reference in docs/task-file.md. Every key carries a
 * description; unknown keys are errors (a typo must not be silently ignored).
 */

const postgresUrl = z
  .string()
  .min(1)
  .refine((value) => /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// or postgresql:// URL, e.g. postgres://user:password@host:5432/dbname',
  });

const sslMode = z
  .enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full'])
  .describe('TLS for this connection (PostgreSQL sslmode). Default: as in the URL, else prefer.');

const identifier = z.string().min(1).max(63);

const endpoint = z.strictObject({
  url: postgresUrl.describe(
    'Connection URL. Put the password in an environment variable and write ${VAR}: it is substituted when the file is read.',
  ),
  sslmode: sslMode.optional(),
});

const source = endpoint
  .extend({
    slot: identifier
      .regex(/^[a-z0-9_]+$/, 'slot names may contain only lower-case letters, digits and underscores')
      .optional()
      .describe('Logical replication slot name. Default: ferry_<task name>.'),
    publication: identifier.optional().describe('Publication name. Default: ferry_<task name>.'),
    failoverSlot: z
      .boolean()
      .optional()
      .describe(
        'Create the slot as a failover slot (PostgreSQL 17+), so a promoted standby keeps the stream; the standby needs sync_replication_slots (docs/failover.md). Default: on when the source is a PostgreSQL 17+ primary, off below.',
      ),
    forwardReplicated: z
      .boolean()
      .default(false)
      .describe(
        'Cascade (A → B → C): also carry changes that another Ferry task applied to this source. Default false: writes tagged with a Ferry replication origin are skipped, so backflow never echoes. Changes written by this task\'s own backflow are skipped either way.',
      ),
    largeTransactions: z
      .strictObject({
        streaming: z
          .boolean()
          .default(true)
          .describe(
            'PostgreSQL 14+: the source streams a transaction that outgrows decodingMemoryKb while it is still open, and capture keeps it in spool files until it commits (an abort just deletes them). Off, or below 14: the source spills it to its own disk (pg_replslot) and sends it at commit.',
          ),
        decodingMemoryKb: z
          .number()
          .int()
          .min(64)
          .optional()
          .describe("The walsender's logical_decoding_work_mem: decoding memory on the source after which a transaction is streamed (or spilled). Default: the server's setting (64 MB unless changed)."),
        spoolDirectory: z
          .string()
          .min(1)
          .optional()
          .describe('Where capture keeps streamed transactions until they commit (one file each, deleted at commit or abort). Needs room for the largest open transaction. Default: <system temp dir>/ferry-spool.'),
      })
      .default({ streaming: true })
      .describe('Transactions too large for the decoding memory of the source.'),
  })
  .describe('The database being migrated. Ferry reads it with a snapshot and a logical replication slot.');

const destination = endpoint
  .extend({
    name: identifier
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional()
      .describe('Short name for this destination (consumer group and state use it). Default: "main" or dest<N>.'),
  })
  .describe('A database receiving the data.');

const rate = z.strictObject({
  rowsPerSecond: z.number().int().positive().optional().describe('At most this many rows per second.'),
  bytesPerSecond: z.number().int().positive().optional().describe('At most this many bytes per second.'),
});

export const phaseNames = ['schema', 'full', 'incremental'] as const;
export type PhaseName = (typeof phaseNames)[number];

const phases = z
  .array(z.enum(phaseNames))
  .min(1)
  .default(['schema', 'full', 'incremental'])
  // [incremental] alone streams from a slot created now, without a copy: backflow after cutover.
  .refine((list) => list.every((phase, i) => phase === phaseNames[i]) || (list.length === 1 && list[0] === 'incremental'), {
    message: 'phases must be a prefix of [schema, full, incremental], e.g. [schema, full], or [incremental] alone',
  })
  .describe(
    'Which phases run, in order: any prefix of [schema, full, incremental], or [incremental] alone (changes from now on, no copy: what a backflow task uses).',
  );

const objectPattern = z
  .string()
  .min(1)
  .describe('schema.* , schema.table, or a table name in public; * matches any run of characters.');

const objects = z
  .strictObject({
    include: z.array(objectPattern).default(['*.*']).describe('Tables to migrate. Default: every table of every non-system schema.'),
    exclude: z.array(objectPattern).default([]).describe('Tables to leave out; wins over include.'),
    columns: z
      .record(z.string(), z.array(z.string().min(1)).min(1))
      .default({})
      .describe('Per table, the only columns to migrate (must include the key columns).'),
    rename: z
      .strictObject({
        schemas: z.record(z.string(), identifier).default({}).describe('Source schema → destination schema.'),
        tables: z.record(z.string(), z.string()).default({}).describe('schema.table → [schema.]new_table.'),
        columns: z
          .record(z.string(), z.record(z.string(), identifier))
          .default({})
          .describe('schema.table → { old_column: new_column }.'),
      })
      .default({ schemas: {}, tables: {}, columns: {} })
      .describe('Names in the destination that differ from the source.'),
    where: z
      .record(z.string(), z.string().min(1))
      .default({})
      .describe('Per table, a SQL condition rows must meet to be migrated, in the copy and in the stream (README, "Row filters"); checked by precheck.'),
    transform: z
      .record(
        z.string(),
        z.strictObject({
          columns: z
            .record(z.string(), z.string().min(1))
            .default({})
            .describe('Column → SQL expression over the source row\'s columns (source names), e.g. { email: "md5(email)" }. Not for key columns.'),
          dropWhere: z
            .string()
            .min(1)
            .optional()
            .describe('A SQL condition on the row (source column names): rows for which it is true are kept out of the destination, and removed when an update makes it true.'),
        }),
      )
      .default({})
      .describe(
        'Per table, values computed or masked on the way into the destination, and rows kept out. Evaluated by the destination server; checked by precheck. See README, "Transforms".',
      ),
    operations: z
      .record(z.string(), z.array(z.enum(['insert', 'update', 'delete', 'truncate'])).min(1))
      .default({})
      .describe('Per table, which change kinds are carried during incremental sync. Default: all.'),
    nameCase: z
      .enum(['source', 'lower', 'upper'])
      .default('source')
      .describe('Capitalisation of names in the destination: as in the source, or folded.'),
  })
  .default({
    include: ['*.*'],
    exclude: [],
    columns: {},
    rename: { schemas: {}, tables: {}, columns: {} },
    where: {},
    transform: {},
    operations: {},
    nameCase: 'source',
  })
  .describe('Which objects move, and how they are named and filtered.');

const kafka = z
  .strictObject({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'a broker is host:port, e.g. 127.0.0.1:9092')).min(1).describe('Bootstrap brokers.'),
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'topic prefixes may contain letters, digits, ".", "_" and "-"')
      .optional()
      .describe('Prefix of every topic. Default: ferry.<task name>.'),
    partitions: z.number().int().min(1).max(1000).default(6).describe('Partitions of each table topic.'),
    replicationFactor: z.number().int().min(1).default(1).describe('Replication factor of created topics.'),
    clientId: z.string().optional().describe('Kafka client id. Default: ferry-<task name>-<service>.'),
    ssl: z.boolean().default(false).describe('Connect with TLS.'),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string(),
        password: z.string(),
      })
      .optional()
      .describe('SASL authentication; write the password as ${VAR}.'),
  })
  .describe('The Kafka cluster the change stream lives in.');

const schemaRegistry = z
  .strictObject({
    url: z.url().describe('Base URL of a Confluent-compatible schema registry API.'),
    username: z.string().optional(),
    password: z.string().optional().describe('Basic auth password; write it as ${VAR}.'),
  })
  .describe('Where Avro schemas are registered.');

export const taskSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'use 1-40 lower-case letters, digits, "_" or "-", starting with a letter')
      .describe('Task name; used in topic, slot and consumer group names.'),
    source,
    destination: destination.optional(),
    destinations: z.array(destination).min(1).optional().describe('Several destinations (one-to-many); instead of destination.'),
    kafka,
    schemaRegistry,
    phases,
    objects,
    conflictingTables: z
      .enum(['error', 'ignore'])
      .default('error')
      .describe('A destination table that already exists: stop at precheck (error), or use it as it is (ignore).'),
    snapshot: z
      .strictObject({
        parallelism: z.number().int().min(1).max(64).default(4).describe('Chunks read at the same time.'),
        chunkRows: z.number().int().min(100).default(100_000).describe('Rows per snapshot chunk.'),
      })
      .default({ parallelism: 4, chunkRows: 100_000 })
      .describe('The full-data copy.'),
    throttle: z
      .strictObject({
        full: rate.default({}).describe('Limit for the full-data copy.'),
        incremental: rate.default({}).describe('Limit for incremental sync.'),
      })
      .default({ full: {}, incremental: {} })
      .describe('Rate limits, to spare a busy source or destination.'),
    sink: z
      .strictObject({
        mode: z
          .enum(['partition', 'transactional'])
          .default('partition')
          .describe(
            'partition: each partition applied on its own (fastest). transactional: whole source transactions in commit order, one destination transaction each, for destinations read during sync; one sink per destination, no dead letters.',
          ),
        deadLetter: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe(
                'Write an event that still cannot be applied after retry.otherMinutes to a dead-letter topic and go on, instead of stopping.',
              ),
            topic: z
              .string()
              .regex(/^[A-Za-z0-9._-]+$/, 'topic names may contain letters, digits, ".", "_" and "-"')
              .optional()
              .describe('Dead-letter topic. Default: <topic prefix>._dlq.<destination name>.'),
          })
          .default({ enabled: false })
          .describe('Dead letters are also recorded in ferry.sink_dead_letters on the destination and counted in the sink metrics.'),
        throttle: rate.default({}).describe('Limit for applying to each destination (snapshot rows and changes together).'),
        sliceEvents: z
          .number()
          .int()
          .min(1)
          .default(5_000)
          .describe('At most this many events are decoded and applied in one destination transaction.'),
        sliceBytes: z
          .number()
          .int()
          .min(1024)
          .default(8 * 1024 * 1024)
          .describe('At most about this many Kafka message bytes are decoded and applied in one destination transaction.'),
      })
      .default({ mode: 'partition', deadLetter: { enabled: false }, throttle: {}, sliceEvents: 5_000, sliceBytes: 8 * 1024 * 1024 })
      .refine((sink) => !(sink.mode === 'transactional' && sink.deadLetter.enabled), {
        message: 'sink.mode transactional applies whole source transactions and cannot set single events aside: turn sink.deadLetter off',
      })
      .describe('How sinks apply to the destinations.'),
    retry: z
      .strictObject({
        connectionMinutes: z.number().positive().default(720).describe('How long to keep retrying an unreachable server.'),
        otherMinutes: z.number().positive().default(10).describe('How long to retry any other retriable failure.'),
      })
      .default({ connectionMinutes: 720, otherMinutes: 10 })
      .describe('Retry windows before a task stops with an error.'),
    verify: z
      .strictObject({
        continuous: z
          .union([z.boolean(), z.number().int().min(10)])
          .default(false)
          .describe(
            'Re-verify data during incremental sync (results in `ferry status` and the task state): false, true (every intervalSeconds), or a number of seconds between rounds.',
          ),
        intervalSeconds: z.number().int().min(10).default(300).describe('Seconds between continuous verification rounds when continuous is true.'),
        chunkRows: z.number().int().min(100).default(10_000).describe('Rows per key range whose count and checksum are compared; a differing range is compared row by row.'),
        maxDifferences: z.number().int().min(1).max(10_000).default(20).describe('Differing rows named per table (all are counted).'),
        recheckTimeoutSeconds: z
          .number()
          .int()
          .min(1)
          .default(120)
          .describe('While sync runs, how long to wait for the destination to pass the source position of a check before re-checking differences.'),
        sequences: z
          .enum(['auto', 'strict', 'info', 'off'])
          .default('auto')
          .describe(
            'Sequences: strict fails when a destination sequence is behind the source; info only reports it (sequences are synced at cutover); auto is info while sync runs, strict after cutover.',
          ),
        schema: z.boolean().default(true).describe('Also compare schema objects (tables, columns, constraints, indexes, views, ...).'),
      })
      .default({ continuous: false, intervalSeconds: 300, chunkRows: 10_000, maxDifferences: 20, recheckTimeoutSeconds: 120, sequences: 'auto', schema: true })
      .describe('Data verification (`ferry verify`, continuous verification, and the check at cutover).'),
    ddl: z
      .strictObject({
        capture: z
          .boolean()
          .default(true)
          .describe(
            'Capture schema changes on the source (an event trigger, which needs a superuser) and apply them on the destination in stream order; new tables of selected schemas join the task. Off: a schema change during sync is only warned about.',
          ),
      })
      .default({ capture: true })
      .describe('Schema changes (DDL) during incremental sync.'),
    alerts: z
      .strictObject({
        lagSeconds: z.number().positive().default(30).describe('Alert when replication lag exceeds this.'),
        webhook: z.url().optional().describe('POST alerts as JSON to this URL.'),
        retainedWalBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 1024 ** 3)
          .describe('Alert when the replication slot keeps more WAL than this on the source (bytes).'),
      })
      .default({ lagSeconds: 30, retainedWalBytes: 10 * 1024 ** 3 })
      .describe('When to tell a person.'),
    api: z
      .strictObject({
        listen: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe('Address the coordinator\'s HTTP API and web console listen on. Any address other than loopback needs api.token.'),
        port: z.number().int().min(0).max(65535).optional().describe('Port of the API and console; unset: no API. 0 picks a free port (logged).'),
        token: z
          .string()
          .min(16)
          .optional()
          .describe('Bearer token every API request must carry (Authorization: Bearer <token>); write it as ${VAR}. At least 16 characters.'),
      })
      .default({ listen: '127.0.0.1' })
      .describe('The HTTP API and web console served by `ferry migrate` / `ferry coordinator`.'),
    metrics: z
      .strictObject({
        listen: z.string().min(1).default('127.0.0.1').describe('Address the /metrics endpoints listen on.'),
        port: z
          .number()
          .int()
          .min(1)
          .max(65000)
          .optional()
          .describe('Base port of Prometheus /metrics: coordinator on it, capture on +1, the sink of destination N (1, 2...) on +1+N. Unset: no metrics endpoints.'),
      })
      .default({ listen: '127.0.0.1' })
      .describe('Prometheus metrics of every service.'),
  })
  .superRefine((task, ctx) => {
    if (task.destination && task.destinations) {
      ctx.addIssue({ code: 'custom', path: ['destinations'], message: 'give destination or destinations, not both' });
    }
    if (!task.destination && !task.destinations) {
      ctx.addIssue({ code: 'custom', path: ['destination'], message: 'a destination is required (destination: { url: ... })' });
    }
  });

export type TaskInput = z.input<typeof taskSchema>;
export type ParsedTask = z.output<typeof taskSchema>;
