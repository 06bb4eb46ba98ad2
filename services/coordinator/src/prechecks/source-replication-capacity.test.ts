import { describe, expect, it } from 'vitest';
import { checkCapacity, describeExistingSlot } from './source-replication-capacity.js';

const slot = {
  slot_type: 'logical',
  plugin: 'pgoutput',
  database: 'shop',
  active: false,
  active_pid: null,
  confirmed_flush_lsn: '0/16B3748',
  wal_status: 'reserved',
  current_database: 'shop',
};

describe('checkCapacity', () => {
  it('passes with the numbers when there is room', () => {
    expect(checkCapacity({ max_slots: 10, used_slots: 2, max_senders: 10, used_senders: 1 }, false)).toEqual([
      { id: 'source-replication-capacity', status: 'pass', message: 'free replication slots: 8 of 10 (needed 1); free WAL senders: 9 of 10 (needed 2)' },
    ]);
  });

  it('is an error with the numbers and the setting to raise', () => {
    const results = checkCapacity({ max_slots: 4, used_slots: 4, max_senders: 4, used_senders: 3 }, false);
    expect(results.map((r) => r.message)).toEqual([
      'the source has 0 free replication slots (max_replication_slots = 4, 4 in use); the task needs 1',
      'the source has 1 free WAL sender (max_wal_senders = 4, 3 active); the task needs 2',
    ]);
    expect(results[1]!.fix).toBe('ALTER SYSTEM SET max_wal_senders = 9; then restart PostgreSQL');
  });

  it('needs no new slot when the task slot exists', () => {
    expect(checkCapacity({ max_slots: 4, used_slots: 4, max_senders: 10, used_senders: 0 }, true)[0]!.status).toBe('pass');
  });
});

describe('describeExistingSlot', () => {
  it('calls a pgoutput slot of this database resumable', () => {
    const result = describeExistingSlot('ferry_shop', slot);
    expect(result.status).toBe('warning');
    expect(result.message).toContain('ferry migrate resumes from it');
    expect(result.fix).toBe("nothing to do to resume; to start over instead, drop it first: SELECT pg_drop_replication_slot('ferry_shop');");
  });

  it('calls any other slot foreign', () => {
    expect(describeExistingSlot('ferry_shop', { ...slot, plugin: 'test_decoding' }).message).toContain('a logical slot using the "test_decoding" plugin');
    expect(describeExistingSlot('ferry_shop', { ...slot, slot_type: 'physical', plugin: null }).status).toBe('error');
    expect(describeExistingSlot('ferry_shop', { ...slot, database: 'other' }).message).toContain('a slot of database "other", not "shop"');
  });

  it('is an error for a lost slot', () => {
    expect(describeExistingSlot('ferry_shop', { ...slot, wal_status: 'lost' }).status).toBe('error');
  });
});
