import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** pgbench scale factor: 100 000 pgbench_accounts rows per unit. */
  scale: number;
  /** Seconds of pgbench while every pipeline is stopped (the change backlog). */
  backlogSeconds: number;
  /** Seconds of each live-sync pgbench run. */
  liveSeconds: number;
  clients: number;
  threads: number;
  /** Target TPS of the lag runs (pgbench -R). */
  rate: number;
  /** Partitions of each Ferry table topic. */
  partitions: number;
  /**
   * Rows per snapshot chunk. Ferry's default (100 000) makes a pgbench_accounts chunk
   * ~9.5 MB of Avro, which capture sends as one Kafka record batch, over the snapshot
   * topic's 4 MB max.message.bytes: capture fails. 20 000 (~1.9 MB) stays under it.
   */
  chunkRows: number;
  /** Run Ferry's processes under `node --cpu-prof` and summarise the hot functions. */
  profile: boolean;
  /** Leave databases, slots and topics in place (for a look afterwards). */
  keep: boolean;
  resultsDir: string;
}

const HELP = `npm run bench -- [options]

Loads a source with pgbench and compares, on the same data and in one run, Ferry
(capture → Kafka → sink) with PostgreSQL's native logical replication and a plain
COPY pipe: full load, change backlog, live sync (TPS and lag), memory, Kafka bytes.

  --scale N            pgbench scale factor (default 50; 5 is a quick run)
  --backlog-seconds N  pgbench seconds while the pipelines are stopped (default 30)
  --live-seconds N     seconds of each live-sync run (default 30)
  --clients N          pgbench clients (default 4)
  --threads N          pgbench threads (default 2)
  --rate N             target TPS of the lag runs (default 1000)
  --partitions N       partitions of Ferry's table topics (default 6, the task default)
  --chunk-rows N       Ferry's snapshot.chunkRows (default 20000: see docs/benchmarks.md)
  --profile            run capture and sink with node --cpu-prof; name the hot functions
  --keep               do not drop the databases, slots, subscription and topics
  --results DIR        where latest.json, latest.svg and latest.txt go (default bench/results)
`;

export function parseOptions(argv: string[], defaultResultsDir: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string' },
      'backlog-seconds': { type: 'string' },
      'live-seconds': { type: 'string' },
      clients: { type: 'string' },
      threads: { type: 'string' },
      rate: { type: 'string' },
      partitions: { type: 'string' },
      'chunk-rows': { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  return {
    scale: positive('scale', values.scale, 50),
    backlogSeconds: positive('backlog-seconds', values['backlog-seconds'], 30),
    liveSeconds: positive('live-seconds', values['live-seconds'], 30),
    clients: positive('clients', values.clients, 4),
    threads: positive('threads', values.threads, 2),
    rate: positive('rate', values.rate, 1000),
    partitions: positive('partitions', values.partitions, 6),
    chunkRows: positive('chunk-rows', values['chunk-rows'], 20_000),
    profile: values.profile ?? false,
    keep: values.keep ?? false,
    resultsDir: values.results ?? defaultResultsDir,
  };
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return value;
}
