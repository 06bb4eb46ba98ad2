import { FerryError } from '@ferry/core';

/**
 * Source failover. A logical slot lives on one server: after a failover to a standby the
 * slot is gone, unless it is a failover slot (PostgreSQL 17+) that the standby synchronized.
 * Without the slot the changes since the last confirmed position cannot be read again, so
 * capture stops and says so: a silent new slot would skip them (a gap), and a silent new
 * snapshot would keep rows deleted meanwhile. Starting over is the operator's decision.
 */
export function slotLostError(slot: string, serverMajor: number, during: 'start' | 'streaming'): FerryError {
  const cause =
    serverMajor >= 17
      ? 'it was dropped, or the source failed over to a standby that had not synchronized it (a failover slot needs sync_replication_slots on the standby)'
      : `it was dropped, or the source failed over to a standby (PostgreSQL ${serverMajor} keeps slots on the primary only)`;
  return new FerryError(
    'SLOT_LOST',
    `replication slot "${slot}" is gone${during === 'streaming' ? ' while capture was streaming' : ''}: ${cause}. ` +
      'Changes committed since the last confirmed position cannot be read from the source any more, so capture stops instead of continuing with a gap',
    {
      retriable: false,
      fix:
        'start the task over: `ferry reset -c task.yaml --yes` (drops what the task made: slot, publication, Kafka topics, sink bookkeeping and the destination tables it wrote), ' +
        'then `ferry migrate -c task.yaml`. On PostgreSQL 17+ keep the slot across failovers with a failover slot (docs/failover.md)',
      context: { slot },
    },
  );
}

/**
 * Whether a new slot should be a failover slot: as the task says, else on for a
 * PostgreSQL 17+ primary (a standby cannot create one, and older servers lack them).
 */
export function wantsFailoverSlot(configured: boolean | undefined, serverMajor: number, inRecovery: boolean): boolean {
  return configured ?? (serverMajor >= 17 && !inRecovery);
}
