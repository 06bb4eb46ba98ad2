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
      .default(false)
      .describe('PostgreSQL 17+: create the slot as a failover slot so a promoted standby keeps the stream.'),
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
      .describe('Per table, a SQL condition rows must meet to be migrated (checked by precheck).'),
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
    retry: z
      .strictObject({
        connectionMinutes: z.number().positive().default(720).describe('How long to keep retrying an unreachable server.'),
        otherMinutes: z.number().positive().default(10).describe('How long to retry any other retriable failure.'),
      })
      .default({ connectionMinutes: 720, otherMinutes: 10 })
      .describe('Retry windows before a task stops with an error.'),
    verify: z
      .strictObject({
        continuous: z.boolean().default(true).describe('Re-verify data during incremental sync.'),
        intervalSeconds: z.number().int().min(10).default(300).describe('Seconds between continuous verification rounds.'),
      })
      .default({ continuous: true, intervalSeconds: 300 })
      .describe('Data verification.'),
    alerts: z
      .strictObject({
        lagSeconds: z.number().positive().default(30).describe('Alert when replication lag exceeds this.'),
        webhook: z.url().optional().describe('POST alerts as JSON to this URL.'),
      })
      .default({ lagSeconds: 30 })
      .describe('When to tell a person.'),
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
