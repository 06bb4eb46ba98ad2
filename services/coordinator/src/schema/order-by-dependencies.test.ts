import { describe, expect, it } from 'vitest';
import { orderByDependencies, type OrderItem } from './order-by-dependencies.js';

const item = (label: string, priority: number, after: number[] = []): OrderItem => ({ label, priority, after });

describe('orderByDependencies', () => {
  it('keeps priority and position order when nothing depends on anything', () => {
    expect(orderByDependencies([item('b', 2), item('a', 1), item('c', 2)])).toEqual([1, 0, 2]);
  });

  it('moves an item after what it needs, and no further', () => {
    // a table (priority 4) whose default calls a function (priority 6)
    const items = [item('schema', 0), item('table t', 4, [0, 3]), item('table u', 4, [0]), item('function f', 6, [0]), item('view v', 9, [1])];
    expect(orderByDependencies(items)).toEqual([0, 2, 3, 1, 4]);
  });

  it('ignores an item listed as its own dependency', () => {
    expect(orderByDependencies([item('a', 0, [0])])).toEqual([0]);
  });

  it('names the objects of a cycle', () => {
    const items = [item('view a', 9, [2]), item('table t', 4), item('view b', 9, [0])];
    expect(() => orderByDependencies(items)).toThrow(/cannot order the schema: view (a|b) → view (a|b) → view (a|b) depend on each other/);
  });
});
