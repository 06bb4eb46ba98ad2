import { describe, expect, it } from 'vitest';
import type { DecodedChange } from '../event-decoder.js';
import { TransactionBuffer, type BufferedChange } from './transaction-buffer.js';

function change(topic: string, partition: number, offset: bigint, id: string, order: bigint, table = 'public.a'): BufferedChange {
  const [schema, name] = table.split('.') as [string, string];
  const event = { transaction: { id, order }, op: 'u' } as unknown as DecodedChange['event'];
  return { topic, partition, offset, change: { schema, table: name, sourceTable: table, event, before: null, after: null } };
}

describe('TransactionBuffer', () => {
  it('completes a transaction by its per-table counts, counts a repeated order once, and cuts each partition cleanly', () => {
    const buffer = new TransactionBuffer();
    buffer.add(change('a', 0, 10n, '7', 1n));
    buffer.add(change('a', 1, 20n, '7', 2n));
    buffer.add(change('a', 0, 11n, '8', 1n)); // the next transaction, same partition
    // A TRUNCATE (transaction 9) reaches both partitions with one order.
    buffer.add(change('a', 0, 12n, '9', 1n, 'public.b'));
    buffer.add(change('a', 1, 21n, '9', 1n, 'public.b'));
    buffer.consumed('a', 1, 23n); // a tombstone and a commit marker follow
    expect(buffer.size).toBe(4);
    expect(buffer.isComplete({ id: '7', perTable: [{ table: 'public.a', count: 3n }] })).toBe(false);
    expect(buffer.isComplete({ id: '7', perTable: [{ table: 'public.a', count: 2n }] })).toBe(true);
    expect(buffer.isComplete({ id: '9', perTable: [{ table: 'public.b', count: 1n }] })).toBe(true);

    expect(buffer.events('7').map((e) => e.offset)).toEqual([10n, 20n]);
    expect(buffer.cuts('7')).toEqual([
      { topic: 'a', partition: 0, next: 11n },
      { topic: 'a', partition: 1, next: 21n },
    ]);
    buffer.remove('7');
    expect(buffer.cuts()).toEqual(buffer.cuts('7'));
    buffer.remove('8');
    buffer.remove('9');
    expect(buffer.size).toBe(0);
    expect(buffer.cuts()).toEqual([
      { topic: 'a', partition: 0, next: 13n },
      { topic: 'a', partition: 1, next: 23n },
    ]);
  });
  it('forgets applied transactions from the front of each partition, over many transactions', () => {
    const buffer = new TransactionBuffer();
    const transactions = 20_000;
    // Each transaction writes two rows on partition 0 and one on partition (t % 5) + 1.
    for (let t = 0; t < transactions; t++) {
      buffer.add(change('a', 0, BigInt(2 * t), String(t), 1n));
      buffer.add(change('a', 0, BigInt(2 * t + 1), String(t), 2n));
      buffer.add(change('b', (t % 5) + 1, BigInt(t), String(t), 3n));
    }
    for (let t = 0; t < transactions - 1; t++) buffer.remove(String(t));
    expect(buffer.size).toBe(3);
    const last = transactions - 1;
    expect(buffer.cuts().find((c) => c.topic === 'a')).toEqual({ topic: 'a', partition: 0, next: BigInt(2 * last) });
    expect(buffer.cuts().find((c) => c.topic === 'b' && c.partition === (last % 5) + 1)).toEqual({ topic: 'b', partition: (last % 5) + 1, next: BigInt(last) });
    buffer.remove(String(last));
    expect(buffer.size).toBe(0);
    expect(buffer.cuts().find((c) => c.topic === 'a')!.next).toBe(BigInt(2 * transactions));
  });

  it('also forgets a transaction whose offsets are not at the front', () => {
    const buffer = new TransactionBuffer();
    buffer.add(change('a', 0, 1n, 'x', 1n));
    buffer.add(change('a', 0, 2n, 'y', 1n));
    buffer.remove('y');
    expect(buffer.cuts()).toEqual([{ topic: 'a', partition: 0, next: 1n }]);
    buffer.remove('x');
    expect(buffer.cuts()).toEqual([{ topic: 'a', partition: 0, next: 3n }]);
  });
});
