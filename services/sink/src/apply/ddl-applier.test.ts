import type { DdlEvent } from '@ferry/avro';
import { describe, expect, it } from 'vitest';
import { ddlSnapshotGate } from './ddl-applier.js';

const event = (action: DdlEvent['action'], previous: DdlEvent['previous'] = null): DdlEvent => ({
  id: '1',
  lsn: '0/1',
  txId: '7',
  commitTsMicros: null,
  tag: 'ALTER TABLE',
  statement: null,
  action,
  schema: 'public',
  table: 'stock',
  previous,
  definition: null,
  dropped: [],
});

describe('ddlSnapshotGate', () => {
  it('holds a change of an existing table until its snapshot is in, under the name the snapshot had', () => {
    expect(ddlSnapshotGate(event('alter'))).toBe('public.stock');
    expect(ddlSnapshotGate(event('drop'))).toBe('public.stock');
    expect(ddlSnapshotGate(event('rename', { schema: 'public', table: 'items' }))).toBe('public.items');
  });

  it('lets a new table through: it has no snapshot', () => {
    expect(ddlSnapshotGate(event('create'))).toBeNull();
  });
});
