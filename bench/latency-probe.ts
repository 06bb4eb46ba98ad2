/**
 * `npx tsx bench/latency-probe.ts` (services' env set): where one change's latency goes.
 * Starts Ferry on a one-table source, then inserts single rows after idle pauses and
 * reports, per row, when capture had committed it to Kafka (read_committed end offset)
 * and when the sink had applied it. Shows the stall of a commit that arrives just
 * before a keepalive: it waits for the next source commit (the 5 s heartbeat).
 */
import { createDatabase, dropDatabase } from './databases.js';
import { FerryProcess, runFerry, writeTaskFile } from './ferry-process.js';
import { committedEndOffsets } from './kafka-wire.js';
import { deleteTaskStreams } from './kafka-topics.js';
import { query, sleep, waitUntil } from './sql.js';

const sourceServer = process.env.SOURCE_PG_URL!;
const destServer = process.env.DEST_PG_URL!;
const broker = process.env.KAFKA_BROKERS!.split(',')[0]!;
const registryUrl = process.env.SCHEMA_REGISTRY_URL!;
const rounds = Number(process.argv[2] ?? 8);
const partitions = 6;

const id = `probe${Date.now().toString(36)}`;
const source = await createDatabase(sourceServer, `bench_src_${id}`);
const dest = await createDatabase(destServer, `bench_dst_${id}`);
const ddl = 'CREATE TABLE t (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())';
await query(source.url, ddl);
await query(dest.url, ddl);
const task = writeTaskFile({ name: `bench-${id}`, dir: `/tmp/ferry-bench-${id}`, sourceUrl: source.url, destUrl: dest.url, brokers: [broker], registryUrl, partitions, chunkRows: 20_000 });
const capture = FerryProcess.start(task, 'capture', 'probe');
const sink = FerryProcess.start(task, 'sink', 'probe');
try {
  await capture.waitForLog('streaming changes from the slot', 60_000);
  await waitUntil('the snapshot to be applied', async () => {
    try {
      return (await query(dest.url, `SELECT 1 FROM ferry.sink_tables WHERE snapshot_complete AND source_table = 'public.t'`)).length > 0;
    } catch {
      return false;
    }
  }, 60_000);
  const topic = `${task.prefix}.public.t`;
  for (let n = 1; n <= rounds; n++) {
    await sleep(1_000 + Math.random() * 2_000);
    const before = await committedEndOffsets(broker, topic, partitions);
    await query(source.url, 'INSERT INTO t (id) VALUES ($1)', [n]);
    const inserted = Date.now();
    const published = await waitUntil('Kafka', async () => (await committedEndOffsets(broker, topic, partitions)) > before && Date.now(), 30_000, 5);
    const applied = await waitUntil('destination', async () => (await query(dest.url, 'SELECT 1 FROM t WHERE id = $1', [n])).length > 0 && Date.now(), 30_000, 5);
    process.stdout.write(`row ${n}: committed in Kafka after ${published - inserted} ms, applied after ${applied - inserted} ms\n`);
  }
} finally {
  await capture.stop();
  await sink.stop();
  await runFerry(['capture', '-c', task.file, '--release']);
  await runFerry(['sink', '-c', task.file, '--release']);
  await deleteTaskStreams([broker], registryUrl, task.prefix, [task.group]);
  await dropDatabase(sourceServer, source.name);
  await dropDatabase(destServer, dest.name);
}
