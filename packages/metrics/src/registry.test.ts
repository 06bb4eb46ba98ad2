import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from './parse-exposition.js';
import { Registry } from './registry.js';
import { serveMetrics } from './metrics-server.js';

describe('Registry', () => {
  it('renders counters, gauges and histograms in the text exposition format', async () => {
    const registry = new Registry();
    const events = registry.counter('ferry_events_total', 'Events seen.');
    const lag = registry.gauge('ferry_lag_seconds', 'Lag.');
    const batch = registry.histogram('ferry_batch_seconds', 'Batch time.', [0.1, 1]);
    events.inc({ table: 'a"b\\c' }, 2);
    events.inc({ table: 'a"b\\c' });
    lag.set(1.5);
    batch.observe(0.05);
    batch.observe(0.5);
    batch.observe(3);
    expect(await registry.render()).toBe(
      [
        '# HELP ferry_events_total Events seen.',
        '# TYPE ferry_events_total counter',
        'ferry_events_total{table="a\\"b\\\\c"} 3',
        '# HELP ferry_lag_seconds Lag.',
        '# TYPE ferry_lag_seconds gauge',
        'ferry_lag_seconds 1.5',
        '# HELP ferry_batch_seconds Batch time.',
        '# TYPE ferry_batch_seconds histogram',
        'ferry_batch_seconds_bucket{le="0.1"} 1',
        'ferry_batch_seconds_bucket{le="1"} 2',
        'ferry_batch_seconds_bucket{le="+Inf"} 3',
        'ferry_batch_seconds_sum 3.55',
        'ferry_batch_seconds_count 3',
        '',
      ].join('\n'),
    );
  });

  it('drops a gauge series set to null, refuses a counter going down and a name used twice', () => {
    const registry = new Registry();
    const gauge = registry.gauge('g', 'G.');
    gauge.set(3, { a: '1' });
    gauge.set(null, { a: '1' });
    expect(gauge.get({ a: '1' })).toBeUndefined();
    expect(() => registry.counter('c', 'C.').inc({}, -1)).toThrow('counter c cannot go down');
    expect(() => registry.gauge('g', 'again')).toThrow('metric g is registered twice');
    expect(() => registry.gauge('bad-name', 'x')).toThrow('invalid metric name "bad-name"');
  });

  it('runs collectors before rendering, and the parser reads back what was rendered', async () => {
    const registry = new Registry();
    const total = registry.counter('ferry_rows_total', 'Rows.');
    let kept = 10;
    registry.onCollect(() => total.setTotal(kept, { table: 'public.t' }));
    kept = 42;
    const samples = parseExposition(await registry.render());
    expect(sampleValue(samples, 'ferry_rows_total', { table: 'public.t' })).toBe(42);
    expect(sampleValue(samples, 'ferry_rows_total', { table: 'other' })).toBeNull();
    expect(parseExposition('x{le="+Inf",n="a\\nb"} +Inf\n# comment\n')).toEqual([{ name: 'x', labels: { le: '+Inf', n: 'a\nb' }, value: Infinity }]);
  });

  it('serves GET /metrics over HTTP and 404 elsewhere', async () => {
    const registry = new Registry();
    registry.gauge('up_test', 'Up.').set(1);
    const server = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
    try {
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await ok.text()).toContain('up_test 1\n');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
