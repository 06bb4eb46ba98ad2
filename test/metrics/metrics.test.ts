import { parseExposition, sampleValue, type Sample } from '@ferry/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, webhookReceiver, type ReceivedAlert } from '../console/operator-support.js';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Prometheus /metrics of every service, scraped while a real migration runs (coordinator,
// capture and sink as separate processes, as on separate machines): the numbers move with
// the work, and alerts reach a webhook when the sink is killed and the lag grows.
const urls = serviceUrlsFromEnv();

describe('metrics and alerts', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  let base: number;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const services: RunningService[] = [];
  let sink: RunningService;

  async function scrape(port: number): Promise<Sample[]> {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(await response.text());
  }
  const coordinator = () => scrape(base);
  const capture = () => scrape(base + 1);
  const sinkMetrics = () => scrape(base + 2);
  const value = async (samples: Promise<Sample[]>, name: string, labels: Record<string, string> = {}) => sampleValue(await samples, name, labels);
  const alerts = (name: string, status: string): ReceivedAlert[] => hook.alerts.filter((a) => a.alert === name && a.status === status);

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'met_src');
    dest = await createTempDatabase(urls.destPgUrl, 'met_dst');
    await query(
      source.url,
      `CREATE TABLE public.t (id bigint PRIMARY KEY, body text NOT NULL);
       INSERT INTO public.t SELECT g, repeat('x', 50) || g FROM generate_series(1, 5000) g;
       ANALYZE;`,
    );
    hook = await webhookReceiver();
    base = await freePortRange(3);
    task = writeTask(
      urls,
      source.url,
      dest.url,
      `objects: { include: ["public.t"] }
verify: { continuous: false }
metrics: { port: ${base} }
alerts: { lagSeconds: 4, retainedWalBytes: 1024, webhook: "${hook.url}" }`,
    );
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    await hook?.close();
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('every service serves /metrics, and the full copy shows in them', async () => {
    services.push(startFerry(task, 'coordinator'), startFerry(task, 'capture'));
    sink = startFerry(task, 'sink');
    services.push(sink);
    await waitFor('continuous sync in the coordinator metrics', async () => (await value(coordinator(), 'ferry_task_phase', { phase: 'incremental' })) === 1, 180_000, 1000);

    const c = await capture();
    expect(sampleValue(c, 'ferry_service_info', { service: 'capture', task: task.name })).toBe(1);
    expect(sampleValue(c, 'ferry_snapshot_rows_total', { table: 'public.t' })).toBe(5000);
    expect(sampleValue(c, 'ferry_snapshot_table_complete', { table: 'public.t' })).toBe(1);
    expect(sampleValue(c, 'ferry_capture_bytes_total')).toBeGreaterThan(5000 * 50);
    expect(sampleValue(c, 'ferry_retries_total')).toBe(0);

    const s = await sinkMetrics();
    expect(sampleValue(s, 'ferry_service_info', { service: 'sink' })).toBe(1);
    expect(sampleValue(s, 'ferry_sink_events_applied_total', { destination: 'main' })).toBeGreaterThanOrEqual(5000);
    expect(sampleValue(s, 'ferry_sink_batches_total', { destination: 'main' })).toBeGreaterThan(0);
    expect(sampleValue(s, 'ferry_sink_batch_duration_seconds_count', { destination: 'main' })).toBe(sampleValue(s, 'ferry_sink_batches_total', { destination: 'main' }));
    expect(sampleValue(s, 'ferry_sink_batch_duration_seconds_bucket', { destination: 'main', le: '+Inf' })).toBeGreaterThan(0);

    await waitFor('the copy in the coordinator metrics', async () => (await value(coordinator(), 'ferry_snapshot_applied_rows', { table: 'public.t', destination: 'main' })) === 5000, 30_000, 1000);
    const k = await coordinator();
    expect(sampleValue(k, 'ferry_snapshot_applied_complete', { table: 'public.t' })).toBe(1);
    expect(sampleValue(k, 'ferry_source_slot_retained_wal_bytes')).toBeGreaterThan(0);
    expect(sampleValue(k, 'ferry_source_slot_lag_bytes')).not.toBeNull();
    expect(sampleValue(k, 'ferry_task_paused')).toBe(0);
  }, 240_000);

  it('the counters move with the changes', async () => {
    const capturedBefore = (await value(capture(), 'ferry_capture_events_total'))!;
    const appliedBefore = (await value(sinkMetrics(), 'ferry_sink_events_applied_total'))!;
    const bytesBefore = (await value(sinkMetrics(), 'ferry_sink_bytes_applied_total'))!;
    await query(source.url, `INSERT INTO public.t SELECT g, 'live ' || g FROM generate_series(100001, 100300) g`);
    await query(source.url, `UPDATE public.t SET body = 'changed' WHERE id <= 100`);
    await waitFor('capture to count the 400 changes', async () => (await value(capture(), 'ferry_capture_events_total'))! >= capturedBefore + 400, 60_000, 500);
    await waitFor('the sink to count them applied', async () => (await value(sinkMetrics(), 'ferry_sink_events_applied_total'))! >= appliedBefore + 400, 60_000, 500);
    expect((await value(sinkMetrics(), 'ferry_sink_bytes_applied_total'))!).toBeGreaterThan(bytesBefore);
    await waitFor('a lag in the coordinator metrics', async () => (await value(coordinator(), 'ferry_lag_seconds', { destination: 'main' })) !== null, 30_000, 1000);
    expect(await query(dest.url, 'SELECT count(*)::int AS n FROM public.t')).toEqual([{ n: 5300 }]);
  }, 120_000);

  it('alerts the webhook when the retained WAL passes its threshold', async () => {
    await waitFor('the retained-WAL alert', async () => alerts('retained-wal', 'firing').length > 0, 60_000, 500);
    const alert = alerts('retained-wal', 'firing')[0]!;
    expect(alert).toMatchObject({ task: task.name, severity: 'warning', threshold: 1024 });
    expect(alert.value).toBeGreaterThan(1024);
    expect(alert.message).toContain('the replication slot keeps');
  }, 90_000);

  it('alerts the webhook when the lag passes alerts.lagSeconds (sink killed), and when it recovers', async () => {
    expect(alerts('lag', 'firing')).toEqual([]);
    await sink.kill('SIGKILL');
    await query(source.url, `INSERT INTO public.t VALUES (200001, 'while the sink is down')`);
    await waitFor('the lag alert', async () => alerts('lag', 'firing').length > 0, 90_000, 500);
    const alert = alerts('lag', 'firing')[0]!;
    expect(alert).toMatchObject({ task: task.name, alert: 'lag', status: 'firing', severity: 'warning', threshold: 4 });
    expect(alert.value).toBeGreaterThan(4);
    expect(alert.message).toMatch(/^the destination is \d+\.\d s behind the source \(alert above 4 s\)$/);
    expect((await value(coordinator(), 'ferry_lag_seconds', { destination: 'main' }))!).toBeGreaterThan(4);
    expect(await value(coordinator(), 'ferry_alerts_total', { alert: 'lag', status: 'firing' })).toBe(1);

    sink = startFerry(task, 'sink');
    services.push(sink);
    await waitFor('the lag to resolve', async () => alerts('lag', 'resolved').length > 0, 120_000, 500);
    expect(alerts('lag', 'firing')).toHaveLength(1);
    expect(await query(dest.url, 'SELECT body FROM public.t WHERE id = 200001')).toEqual([{ body: 'while the sink is down' }]);
  }, 240_000);

  it('alerts the webhook when the task fails (prechecks find an error)', async () => {
    const taken = await createTempDatabase(urls.destPgUrl, 'met_taken');
    try {
      await query(taken.url, 'CREATE TABLE public.t (id bigint PRIMARY KEY, body text)');
      const failing = writeTask(urls, source.url, taken.url, `objects: { include: ["public.t"] }\nalerts: { webhook: "${hook.url}" }`);
      const { code, output } = await runFerry(['migrate', '-c', failing.file]);
      expect(code).toBe(1);
      expect(output).toContain('conflicting-tables');
      const failed = hook.alerts.filter((a) => a.task === failing.name && a.alert === 'task-failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ status: 'firing', severity: 'critical', message: 'the task failed: the prechecks found errors (see the console or run ferry precheck)' });
    } finally {
      await taken.drop();
    }
  }, 120_000);
});
