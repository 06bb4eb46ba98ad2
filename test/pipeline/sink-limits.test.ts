import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// sink.throttle slows applying to the limit; sink.sliceEvents bounds what one destination
// transaction holds (and so what is decoded at once), however much Kafka hands over.
const urls = serviceUrlsFromEnv();
const TABLE = `CREATE TABLE items (id int PRIMARY KEY, name text)`;
// The sink of the first destination serves /metrics on metrics.port + 2.
const METRICS_PORT = 30_000 + Math.floor(Math.random() * 9_000);

describe('sink throttle and slices', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const running: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'sinklim_src');
    dest = await createTempDatabase(urls.destPgUrl, 'sinklim_dst');
    await query(source.url, TABLE);
    await query(dest.url, TABLE);
    await query(source.url, `INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 1000) g`);
    task = writeTask(urls, source.url, dest.url, `snapshot: { chunkRows: 100 }\nsink: { throttle: { rowsPerSecond: 200 }, sliceEvents: 100 }\nmetrics: { port: ${METRICS_PORT} }`);
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  const count = async (where = 'true') => Number((await query<{ n: string }>(dest.url, `SELECT count(*)::text AS n FROM items WHERE ${where}`))[0]!.n);

  it('applies 1 000 snapshot rows at 200 rows/s: about 3 s from the first row to the last', async () => {
    // Capture first, so the whole snapshot waits in Kafka and nothing but the throttle paces the sink.
    const capture = startFerry(task, 'capture');
    running.push(capture);
    await waitFor('the snapshot in Kafka', async () => readFileSync(capture.logFile, 'utf8').includes('streaming changes from the slot'), 90_000);
    running.push(startFerry(task, 'sink'));
    const seen: number[] = [];
    await waitFor('the first rows', async () => (await count()) > 0, 90_000, 100);
    const started = Date.now();
    await waitFor('all 1 000 rows', async () => {
      const n = await count();
      seen.push(n);
      return n === 1000;
    }, 60_000, 100);
    const elapsed = Date.now() - started;
    // A second's worth (200 rows) at once, then 800 rows at 200 rows/s: the last slice lands
    // about 3 s after the first (its own wait comes after it). Unthrottled this takes ~20 ms.
    expect(elapsed).toBeGreaterThanOrEqual(2_700);
    expect(elapsed).toBeLessThan(20_000);
    expect(seen.some((n) => n > 0 && n < 1000)).toBe(true);
  });

  it('splits a large source transaction into destination transactions of at most sliceEvents', async () => {
    await query(source.url, `INSERT INTO items SELECT g, 'bulk' FROM generate_series(1001, 1600) g`);
    const want = await tableDigest(source.url, 'items', 'id');
    await waitFor('the bulk insert', async () => (await tableDigest(dest.url, 'items', 'id')).digest === want.digest, 60_000);
    // Rows written by one destination transaction share its xmin.
    const slices = await query<{ rows: string }>(dest.url, `SELECT count(*)::text AS rows FROM items WHERE id > 1000 GROUP BY xmin::text`);
    expect(slices.length).toBeGreaterThanOrEqual(6); // 600 rows over 3 partitions, 100 per slice at most
    expect(Math.max(...slices.map((s) => Number(s.rows)))).toBeLessThanOrEqual(100);
  });

  it('reports applied events, batches, throttling and the lag to each partition end in /metrics', async () => {
    const sample = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const scrape = async () => (await fetch(`http://127.0.0.1:${METRICS_PORT + 2}/metrics`)).text();
    const topic = `${task.prefix}.public.items`;
    const lagSeries = [0, 1, 2].map((p) => `ferry_sink_lag_records{destination="main",topic="${topic}",partition="${p}"}`);
    // Sampled every 5 s: wait until every partition of the table topic reads as fully applied.
    const text = await waitFor('the lag to reach 0', async () => {
      const t = await scrape();
      return lagSeries.every((s) => sample(t, s) === 0) ? t : undefined;
    }, 30_000, 1_000);
    expect(sample(text, 'ferry_sink_events_applied_total{destination="main"}')).toBeGreaterThanOrEqual(1_600);
    expect(sample(text, 'ferry_sink_batch_events_count{destination="main"}')).toBeGreaterThanOrEqual(16);
    expect(sample(text, 'ferry_sink_bytes_applied_total{destination="main"}')).toBeGreaterThan(0);
    expect(sample(text, 'ferry_sink_throttled_seconds_total{destination="main"}')).toBeGreaterThan(2);
    expect(sample(text, 'ferry_sink_dead_letters_total{destination="main"}')).toBe(0);

    // A backlog shows as lag until it is applied: 3 000 rows at 200 rows/s last about 15 s,
    // several of the sampler's 5 s rounds.
    await query(source.url, `INSERT INTO items SELECT g, 'late' FROM generate_series(1601, 4600) g`);
    await waitFor('a lag above 0', async () => {
      const t = await scrape();
      return lagSeries.reduce((n, s) => n + (sample(t, s) ?? 0), 0) > 0;
    }, 60_000, 500);
  });
});
