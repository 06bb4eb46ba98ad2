import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTask } from '@ferry/config';
import { createRootLogger } from '@ferry/observability';
import { describe, expect, it } from 'vitest';
import { AlertMonitor } from './alert-monitor.js';
import type { AlertEvent } from './webhook-notifier.js';

const log = createRootLogger({ service: 'test', level: 'silent', pretty: false });

async function receiver(failFirst = 0) {
  const received: AlertEvent[] = [];
  let calls = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      calls += 1;
      if (calls <= failFirst) return void response.writeHead(503).end();
      received.push(JSON.parse(body) as AlertEvent);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, close: () => new Promise((r) => server.close(r)) };
}

function task(webhook: string) {
  return parseTask(`name: shop
source: { url: "postgres://u:p@h/db" }
destination: { url: "postgres://u:p@h2/db" }
kafka: { brokers: ["k:9092"] }
schemaRegistry: { url: "http://r:8081" }
alerts: { lagSeconds: 10, retainedWalBytes: 1000, webhook: "${webhook}" }`);
}

const at = () => new Date('2026-01-02T03:04:05.000Z');

describe('AlertMonitor', () => {
  it('fires once when the lag passes the limit during sync and resolves once when it is back', async () => {
    const hook = await receiver();
    const monitor = new AlertMonitor(task(hook.url), log, { backoffMs: 1 }, at);
    monitor.check({ phase: 'full', lagSeconds: 50, retainedWalBytes: 10, verification: null });
    monitor.check({ phase: 'incremental', lagSeconds: 12.34, retainedWalBytes: 10, verification: null });
    monitor.check({ phase: 'incremental', lagSeconds: 20, retainedWalBytes: 10, verification: null });
    monitor.check({ phase: 'incremental', lagSeconds: 1, retainedWalBytes: 10, verification: null });
    await monitor.flush();
    await hook.close();
    expect(hook.received).toEqual([
      { task: 'shop', at: '2026-01-02T03:04:05.000Z', alert: 'lag', status: 'firing', severity: 'warning', message: 'the destination is 12.3 s behind the source (alert above 10 s)', value: 12.34, threshold: 10 },
      { task: 'shop', at: '2026-01-02T03:04:05.000Z', alert: 'lag', status: 'resolved', severity: 'info', message: 'lag is back to 1.0 s (alert above 10 s)', value: 1, threshold: 10 },
    ]);
    expect(monitor.counts).toEqual(new Map([['lag:firing', 1], ['lag:resolved', 1]]));
  });

  it('alerts on retained WAL, a failed task and a new verification with differences, retrying the webhook', async () => {
    const hook = await receiver(2);
    const monitor = new AlertMonitor(task(hook.url), log, { backoffMs: 1 }, at);
    const verification = { at: 'v1', trigger: 'manual' as const, destination: 'main', ok: false, tables: [{ table: 'public.t', destinationTable: 'public.t', ok: false, sourceRows: 3, destinationRows: 2, problem: null, differences: [], differenceCount: 1 }] };
    monitor.seenVerification(undefined);
    monitor.check({ phase: 'incremental', lagSeconds: 0, retainedWalBytes: 5000, verification });
    monitor.check({ phase: 'incremental', lagSeconds: 0, retainedWalBytes: 5000, verification });
    monitor.taskFailed('boom');
    await monitor.flush();
    await hook.close();
    expect(hook.received.map((a) => `${a.alert}/${a.status}/${a.severity}: ${a.message}`).sort()).toEqual([
      'retained-wal/firing/warning: the replication slot keeps 5000 bytes of WAL on the source (alert above 1000); the source disk fills while it grows',
      'task-failed/firing/critical: the task failed: boom',
      'verification/firing/warning: verification (manual) found 1 table(s) differing on destination "main": public.t (1 rows)',
    ]);
  });

  it('gives up on a dead webhook without throwing', async () => {
    const monitor = new AlertMonitor(task('http://127.0.0.1:9/'), log, { attempts: 2, backoffMs: 1, timeoutMs: 500 }, at);
    monitor.taskFailed('boom');
    await monitor.flush();
    expect(monitor.recent.map((a) => a.alert)).toEqual(['task-failed']);
  });
});
