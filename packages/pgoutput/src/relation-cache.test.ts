import { DataError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { UNCHANGED_TOAST, type RelationMessage } from './messages.js';
import { RelationCache } from './relation-cache.js';

const orders: RelationMessage = {
  tag: 'relation',
  xid: null,
  relationId: 10,
  schema: 'public',
  table: 'orders',
  replicaIdentity: 'default',
  columns: [
    { name: 'id', typeOid: 23, typeModifier: -1, isKey: true },
    { name: 'body', typeOid: 25, typeModifier: -1, isKey: false },
    { name: '__proto__', typeOid: 25, typeModifier: -1, isKey: false },
  ],
};

describe('RelationCache', () => {
  it('names insert, update and delete values by the latest Relation message', () => {
    const cache = new RelationCache();
    cache.remember(orders);
    expect(cache.rowChange({ tag: 'insert', xid: null, relationId: 10, newTuple: ['1', 'a', 'p'] })).toEqual({
      op: 'insert',
      relation: orders,
      before: null,
      beforeIdentity: null,
      after: { id: '1', body: 'a', ['__proto__']: 'p' },
      unchangedToast: [],
    });
    const update = cache.rowChange({
      tag: 'update',
      xid: null,
      relationId: 10,
      oldTuple: { identity: 'key', values: ['1', null, null] },
      newTuple: ['2', UNCHANGED_TOAST, null],
    });
    expect(update.before).toEqual({ id: '1' });
    expect(update.beforeIdentity).toBe('key');
    expect(update.after).toEqual({ id: '2', body: UNCHANGED_TOAST, ['__proto__']: null });
    expect(update.unchangedToast).toEqual(['body']);
    expect(Object.getPrototypeOf(update.after)).toBe(Object.prototype);

    const full = cache.rowChange({ tag: 'delete', xid: null, relationId: 10, oldTuple: { identity: 'full', values: ['2', 'b', null] } });
    expect(full).toMatchObject({ op: 'delete', before: { id: '2', body: 'b' }, beforeIdentity: 'full', after: null });
  });

  it('replaces a relation when a new Relation message arrives (schema change)', () => {
    const cache = new RelationCache();
    cache.remember(orders);
    cache.remember({ ...orders, columns: [orders.columns[0]!] });
    expect(cache.toRow(10, ['5'])).toEqual({ id: '5' });
  });

  it('fails loudly on unknown relations and mismatched tuples', () => {
    const cache = new RelationCache();
    expect(() => cache.get(99)).toThrow('a change refers to relation 99, but no Relation message described it');
    cache.remember(orders);
    expect(() => cache.toRow(10, ['1'])).toThrow(DataError);
    expect(() => cache.toRow(10, ['1'])).toThrow('a tuple of public.orders has 1 columns, its Relation message 3');
  });
});
