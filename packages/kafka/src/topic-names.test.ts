import { describe, expect, it } from 'vitest';
import { topicNames, topicPart } from './topic-names.js';

describe('topic names', () => {
  const names = topicNames('ferry.shop');

  it('uses schema and table when they are legal topic characters', () => {
    expect(names.table('public', 'orders')).toBe('ferry.shop.public.orders');
    expect(names.snapshot('public', 'orders')).toBe('ferry.shop.snapshot.public.orders');
    expect(names.transactions).toBe('ferry.shop._transactions');
  });

  it('never lets two tables share a topic', () => {
    expect(topicPart('Order Lines')).toMatch(/^Order_Lines_[0-9a-f]{8}$/);
    expect(topicPart('Order Lines')).not.toBe(topicPart('Order_Lines'));
    expect(topicPart('Order.Lines')).not.toBe(topicPart('Order_Lines'));
    expect(topicPart('Заказы')).toMatch(/^_______[0-9a-f]{8}$/);
    // A table whose name looks like an internal topic cannot collide with it.
    expect(names.table('public', '_transactions')).not.toBe(names.transactions);
  });

  it('stays within Kafka\'s 249 characters', () => {
    const topic = names.table('s'.repeat(63), 't'.repeat(200));
    expect(topic.length).toBeLessThanOrEqual(249);
  });
});
