import { describe, expect, it } from 'vitest';
import { reduceBatch } from './batch-reducer.js';
import type { RowEvent } from './row-event.js';

let offset = 0;
function ev(op: RowEvent['op'], id: string | null, after: Record<string, string | null> | null = null, unchangedToast: string[] = []): RowEvent {
  return { op, key: id === null ? null : { id }, before: null, after, unchangedToast, offset: String(offset++), lsn: '0/1' };
}

describe('reduceBatch', () => {
  it('keeps only the final state of each key', () => {
    const steps = reduceBatch(
      [ev('c', '1', { id: '1', v: 'a' }), ev('u', '1', { id: '1', v: 'b' }), ev('c', '2', { id: '2', v: 'x' }), ev('u', '1', { id: '1', v: 'c' }), ev('d', '2')],
      ['id'],
    );
    expect(steps).toEqual([
      {
        kind: 'keyed',
        actions: [
          { kind: 'upsert', row: { id: '1', v: 'c' } },
          { kind: 'delete', key: { id: '2' } },
        ],
      },
    ]);
  });

  it('fills unchanged TOAST columns from an earlier full row of the same batch', () => {
    const steps = reduceBatch([ev('c', '1', { id: '1', big: 'X'.repeat(5), n: '1' }), ev('u', '1', { id: '1', n: '2' }, ['big'])], ['id']);
    expect(steps).toEqual([{ kind: 'keyed', actions: [{ kind: 'upsert', row: { id: '1', big: 'XXXXX', n: '2' } }] }]);
  });

  it('turns an update without TOAST values into a partial update, never an insert', () => {
    const steps = reduceBatch([ev('u', '1', { id: '1', n: '2' }, ['big']), ev('u', '1', { id: '1', m: '3' }, ['big'])], ['id']);
    expect(steps).toEqual([{ kind: 'keyed', actions: [{ kind: 'update', key: { id: '1' }, set: { n: '2', m: '3' } }] }]);
  });

  it('lets a truncate split the batch in order', () => {
    const steps = reduceBatch([ev('c', '1', { id: '1' }), ev('t', null), ev('c', '2', { id: '2' })], ['id']);
    expect(steps.map((s) => s.kind)).toEqual(['keyed', 'truncate', 'keyed']);
  });

  it('keeps every event of a keyless table, in order', () => {
    const steps = reduceBatch([ev('c', null, { v: '1' }), ev('c', null, { v: '1' }), ev('d', null)], []);
    expect(steps).toHaveLength(1);
    expect(steps[0]!.kind === 'keyless' && steps[0]!.events.length).toBe(3);
  });
});
