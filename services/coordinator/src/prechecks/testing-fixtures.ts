import { resolveTask, taskSchema, type TaskConfig, type TaskInput } from '@ferry/config';
import type { SourceTable } from './source-inventory.js';

/** Builders for unit tests of the pure parts: a resolved task and catalog rows as the inventory returns them. */
export function testTask(overrides: Partial<TaskInput> = {}): TaskConfig {
  return resolveTask(
    taskSchema.parse({
      name: 'shop',
      source: { url: 'postgres://ferry:s3cret-pass@127.0.0.1:5432/shop' },
      destination: { url: 'postgres://ferry:d3st-pass@127.0.0.1:5433/shop' },
      kafka: { brokers: ['127.0.0.1:9092'] },
      schemaRegistry: { url: 'http://127.0.0.1:8081' },
      ...overrides,
    }),
  );
}

export function sourceTable(schema: string, table: string, overrides: Partial<SourceTable> = {}): SourceTable {
  return {
    schema,
    table,
    kind: 'r',
    extension: null,
    unlogged: false,
    replicaIdentity: 'd',
    owner: 'ferry',
    ownedByUs: true,
    canSelect: true,
    selectableColumns: ['id', 'name'],
    schemaUsage: true,
    totalBytes: 8192n,
    columns: ['id', 'name'],
    primaryKey: ['id'],
    replicaIdentityIndex: [],
    uniqueNotNullIndex: { name: `${table}_pkey`, columns: ['id'] },
    ...overrides,
  };
}
