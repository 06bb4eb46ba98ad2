import { parseTask } from '@ferry/config';
import { describe, expect, it } from 'vitest';
import { backflowName, backflowTaskDocument } from './backflow-task.js';

const forward = {
  name: 'shop-upgrade',
  source: { url: 'postgres://ferry:${SRC_PASSWORD}@db1/shop', slot: 'custom_slot' },
  destination: { url: 'postgres://ferry:${DEST_PASSWORD}@db2/shop', sslmode: 'require' },
  kafka: { brokers: ['k:9092'], partitions: 3, clientId: 'fwd' },
  schemaRegistry: { url: 'http://r:8081' },
  objects: {
    include: ['public.*', 'sales.*'],
    rename: { schemas: { public: 'app' }, tables: { 'sales.orders': 'sales.order_v2' }, columns: { 'sales.orders': { qty: 'quantity' } } },
  },
  retry: { connectionMinutes: 5 },
};

describe('backflow task', () => {
  const task = parseTask(JSON.stringify(forward), { env: { SRC_PASSWORD: 'a', DEST_PASSWORD: 'b' } });
  const tables = [
    { schema: 'public', table: 'users', columns: ['id', 'email'] },
    { schema: 'sales', table: 'orders', columns: ['id', 'qty'] },
    { schema: 'sales', table: 'lines', columns: ['id'] },
  ];
  const doc = backflowTaskDocument(forward, task, 0, tables);

  it('swaps the endpoints, keeping ${VAR} references and dropping names that belong to the forward task', () => {
    expect(doc.name).toBe('shop-upgrade-backflow');
    expect(doc.source).toEqual({ url: 'postgres://ferry:${DEST_PASSWORD}@db2/shop', sslmode: 'require' });
    expect(doc.destination).toEqual({ url: 'postgres://ferry:${SRC_PASSWORD}@db1/shop' });
    expect(doc.kafka).toEqual({ brokers: ['k:9092'], partitions: 3, topicPrefix: 'ferry.shop-upgrade-backflow' });
    expect(doc.phases).toEqual(['incremental']);
    expect(doc.conflictingTables).toBe('ignore');
    expect(doc.retry).toEqual({ connectionMinutes: 5 });
  });

  it('captures the destination names and maps them back to the source names', () => {
    expect(doc.objects).toEqual({
      include: ['app.users', 'sales.order_v2', 'sales.lines'],
      rename: { tables: { 'app.users': '"public"."users"', 'sales.order_v2': '"sales"."orders"' }, columns: { 'sales.order_v2': { quantity: 'qty' } } },
    });
  });

  it('is a valid task whose selection undoes the forward one', () => {
    const reverse = parseTask(JSON.stringify(doc), { env: { SRC_PASSWORD: 'a', DEST_PASSWORD: 'b' } });
    expect(reverse.source.slot).toBe('ferry_shop_upgrade_backflow');
    expect(reverse.source.url).toBe('postgres://ferry:b@db2/shop?sslmode=require');
    expect(reverse.destinations[0]!.url).toBe('postgres://ferry:a@db1/shop');
    expect(reverse.kafka.topicPrefix.startsWith(`${task.kafka.topicPrefix}.`)).toBe(false);
  });

  it('keeps long names legal', () => {
    expect(backflowName('a'.repeat(40))).toBe(`${'a'.repeat(31)}-backflow`);
  });
});
