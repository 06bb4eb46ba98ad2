import { describe, expect, it } from 'vitest';
import { slotLostError, wantsFailoverSlot } from './slot-loss.js';

describe('slot loss', () => {
  it('creates failover slots on PostgreSQL 17+ primaries unless the task says otherwise', () => {
    expect(wantsFailoverSlot(undefined, 17, false)).toBe(true);
    expect(wantsFailoverSlot(undefined, 18, false)).toBe(true);
    expect(wantsFailoverSlot(undefined, 17, true)).toBe(false);
    expect(wantsFailoverSlot(undefined, 16, false)).toBe(false);
    expect(wantsFailoverSlot(false, 17, false)).toBe(false);
    expect(wantsFailoverSlot(true, 13, false)).toBe(true);
  });

  it('is permanent, names the slot and the way to start over', () => {
    const error = slotLostError('ferry_shop', 13, 'streaming');
    expect(error.code).toBe('SLOT_LOST');
    expect(error.retriable).toBe(false);
    expect(error.message).toBe(
      'replication slot "ferry_shop" is gone while capture was streaming: it was dropped, or the source failed over to a standby (PostgreSQL 13 keeps slots on the primary only). ' +
        'Changes committed since the last confirmed position cannot be read from the source any more, so capture stops instead of continuing with a gap',
    );
    expect(error.fix).toContain('`ferry reset -c task.yaml --yes`');
    expect(slotLostError('s', 17, 'start').message).toContain('a failover slot needs sync_replication_slots on the standby');
  });
});
