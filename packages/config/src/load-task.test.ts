import { readFileSync } from 'node:fs';
import { ConfigError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { parseTask } from './load-task.js';
import { renderTaskReference } from './task-reference.js';

const minimal = `
name: shop-upgrade
source: { url: "postgres://ferry:\${SRC_PASSWORD}@db1:5432/shop" }
destination: { url: postgres://ferry@db2:5432/shop }
kafka: { brokers: [127.0.0.1:9092] }
schemaRegistry: { url: http://127.0.0.1:8081/apis/ccompat/v7 }
`;

function problemsOf(text: string, env: Record<string, string> = { SRC_PASSWORD: 'pw' }): string[] {
  try {
    parseTask(text, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the task to be rejected');
}

describe('task file', () => {
  it('fills defaults and derives names', () => {
    const task = parseTask(minimal, { env: { SRC_PASSWORD: 's3cret' } });
    expect(task.source.url).toBe('postgres://ferry:s3cret@db1:5432/shop');
    expect(task.source.slot).toBe('ferry_shop_upgrade');
    expect(task.source.publication).toBe('ferry_shop_upgrade');
    expect(task.kafka.topicPrefix).toBe('ferry.shop-upgrade');
    expect(task.kafka.partitions).toBe(6);
    expect(task.destinations).toEqual([{ name: 'main', url: 'postgres://ferry@db2:5432/shop', sslmode: undefined }]);
    expect(task.phases).toEqual(['schema', 'full', 'incremental']);
    expect(task.snapshot).toEqual({ parallelism: 4, chunkRows: 100_000 });
    expect(task.objects.include).toEqual(['*.*']);
    expect(task.retry.connectionMinutes).toBe(720);
  });

  it('reports every problem at once, each with its path and line', () => {
    const problems = problemsOf(`
name: Shop Upgrade
source: { url: mysql://x }
kafka: { brokers: [nohost], partitons: 3 }
schemaRegistry: { url: http://r }
phases: [full]
snapshot: { parallelism: 0 }
`);
    expect(problems).toEqual([
      expect.stringMatching(/^name \(line 2\): use 1-40 lower-case letters/),
      expect.stringMatching(/^source\.url \(line 3\): must be a postgres:\/\//),
      expect.stringMatching(/^kafka\.brokers\[0\] \(line 4\): a broker is host:port/),
      expect.stringMatching(/^kafka \(line 4\): unknown key "partitons"/),
      expect.stringMatching(/^phases \(line 6\): phases must be a prefix/),
      expect.stringMatching(/^snapshot\.parallelism \(line 7\):/),
      expect.stringMatching(/^destination.*a destination is required/),
    ]);
  });

  it('names a missing environment variable instead of using an empty password', () => {
    expect(problemsOf(minimal, {})).toEqual([
      'source.url: environment variable SRC_PASSWORD is not set (export it, or write ${SRC_PASSWORD:-default})',
    ]);
  });

  it('reports malformed YAML with its line', () => {
    const problems = problemsOf('name: a\nsource: { url: x\n');
    expect(problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('applies command-line overrides by path', () => {
    const task = parseTask(minimal, { env: { SRC_PASSWORD: 'x' }, overrides: { 'snapshot.parallelism': '8', 'phases': '["schema","full"]' } });
    expect(task.snapshot.parallelism).toBe(8);
    expect(task.phases).toEqual(['schema', 'full']);
  });

  it('accepts [incremental] alone (a backflow task) but no other gap in the phases', () => {
    expect(parseTask(minimal, { env: { SRC_PASSWORD: 'x' }, overrides: { phases: '["incremental"]' } }).phases).toEqual(['incremental']);
    expect(problemsOf(`${minimal}phases: [full, incremental]\n`)).toEqual([expect.stringMatching(/^phases \(line \d+\): phases must be a prefix/)]);
  });

  it('keeps the password out of the error message', () => {
    try {
      parseTask(minimal.replace('name: shop-upgrade', 'name: BAD'), { env: { SRC_PASSWORD: 'topsecret' } });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('topsecret');
    }
  });

  it('puts sslmode into the connection URL', () => {
    const task = parseTask(minimal.replace('/shop" }', '/shop", sslmode: require }'), { env: { SRC_PASSWORD: 'x' } });
    expect(task.source.url).toBe('postgres://ferry:x@db1:5432/shop?sslmode=require');
  });

  it('keeps docs/task-file.md in step with the schema (regenerate: npm run docs:task-file)', () => {
    const committed = readFileSync(new URL('../../../docs/task-file.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderTaskReference());
  });

  it('documents every key in the generated reference', () => {
    const doc = renderTaskReference();
    for (const key of ['`name`', '`source.url`', '`source.slot`', '`kafka.brokers`', '`objects.rename.tables`', '`throttle.full.rowsPerSecond`', '`alerts.webhook`']) {
      expect(doc).toContain(key);
    }
  });
});
