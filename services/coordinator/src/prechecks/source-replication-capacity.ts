import { quoteLiteral } from '@ferry/pg';
import { sourceVersion } from './versions.js';
import { majorOf } from './version-support.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'source-replication-capacity';

/** One logical slot for the task, and two WAL senders: the streaming session plus the one creating the slot. */
export const NEEDED_SLOTS = 1;
export const NEEDED_WAL_SENDERS = 2;

interface Capacity {
  max_slots: number;
  used_slots: number;
  max_senders: number;
  used_senders: number;
}

interface ExistingSlot {
  slot_type: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  active_pid: number | null;
  confirmed_flush_lsn: string | null;
  wal_status: string | null;
  current_database: string;
}

export const sourceReplicationCapacity: Precheck = {
  id: ID,
  title: 'free replication slots and WAL senders on the source',
  appliesTo: ['incremental'],
  async run(ctx) {
    const client = await ctx.source();
    const slotName = ctx.task.source.slot;
    const { rows } = await client.query<Capacity>(`
      SELECT current_setting('max_replication_slots')::int AS max_slots,
             (SELECT count(*)::int FROM pg_replication_slots) AS used_slots,
             current_setting('max_wal_senders')::int AS max_senders,
             (SELECT count(*)::int FROM pg_stat_replication) AS used_senders`);
    const capacity = rows[0]!;
    // wal_status arrived in PostgreSQL 13; before that a slot cannot be "lost".
    const { rows: slots } = await client.query<ExistingSlot>(
      `SELECT slot_type, plugin, database, active, active_pid, confirmed_flush_lsn::text,
              ${majorOf(await sourceVersion(ctx)) >= 13 ? 'wal_status' : 'NULL::text AS wal_status'}, current_database() AS current_database
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    );
    const existing = slots[0];
    const results = [...checkCapacity(capacity, existing !== undefined)];
    if (existing) results.push(describeExistingSlot(slotName, existing));
    return results;
  },
};

/** Pure: compares free slots and senders with what the task needs (no new slot when the task's slot exists). */
export function checkCapacity(c: Capacity, slotExists: boolean): CheckResult[] {
  const results: CheckResult[] = [];
  const neededSlots = slotExists ? 0 : NEEDED_SLOTS;
  const freeSlots = c.max_slots - c.used_slots;
  const freeSenders = c.max_senders - c.used_senders;
  if (freeSlots < neededSlots) {
    results.push({
      id: ID,
      status: 'error',
      message: `the source has ${freeSlots} free replication slot${freeSlots === 1 ? '' : 's'} (max_replication_slots = ${c.max_slots}, ${c.used_slots} in use); the task needs ${neededSlots}`,
      fix: `drop unused slots (SELECT slot_name, active FROM pg_replication_slots; then SELECT pg_drop_replication_slot('<name>');) or ALTER SYSTEM SET max_replication_slots = ${c.used_slots + neededSlots + 4}; then restart PostgreSQL`,
      objects: ['max_replication_slots'],
    });
  }
  if (freeSenders < NEEDED_WAL_SENDERS) {
    results.push({
      id: ID,
      status: 'error',
      message: `the source has ${freeSenders} free WAL sender${freeSenders === 1 ? '' : 's'} (max_wal_senders = ${c.max_senders}, ${c.used_senders} active); the task needs ${NEEDED_WAL_SENDERS}`,
      fix: `ALTER SYSTEM SET max_wal_senders = ${c.used_senders + NEEDED_WAL_SENDERS + 4}; then restart PostgreSQL`,
      objects: ['max_wal_senders'],
    });
  }
  if (results.length === 0) {
    results.push({
      id: ID,
      status: 'pass',
      message:
        `free replication slots: ${freeSlots} of ${c.max_slots} (needed ${neededSlots}); ` +
        `free WAL senders: ${freeSenders} of ${c.max_senders} (needed ${NEEDED_WAL_SENDERS})`,
    });
  }
  return results;
}

/** A slot with the task's name already exists: this task's own (resumable) or someone else's. */
export function describeExistingSlot(name: string, slot: ExistingSlot): CheckResult {
  const drop = `SELECT pg_drop_replication_slot(${quoteLiteral(name)});`;
  const foreignBecause =
    slot.slot_type !== 'logical'
      ? `a ${slot.slot_type} slot`
      : slot.plugin !== 'pgoutput'
        ? `a logical slot using the "${slot.plugin ?? '?'}" plugin, not pgoutput`
        : slot.database !== slot.current_database
          ? `a slot of database "${slot.database ?? '?'}", not "${slot.current_database}"`
          : undefined;
  if (foreignBecause) {
    return {
      id: ID,
      status: 'error',
      message: `the replication slot "${name}" already exists and is ${foreignBecause}: it is not this task's, and Ferry cannot stream from it`,
      fix: `set source.slot to another name in the task file, or, if nothing uses it any more, drop it: ${drop}`,
      objects: [name],
    };
  }
  if (slot.wal_status === 'lost') {
    return {
      id: ID,
      status: 'error',
      message: `the replication slot "${name}" exists but is lost: the WAL it needed was removed (max_slot_wal_keep_size), so it cannot resume`,
      fix: `drop it (${drop}) and run the migration from the start`,
      objects: [name],
    };
  }
  const inUse = slot.active ? `; it is in use right now by pid ${slot.active_pid ?? '?'}` : '';
  return {
    id: ID,
    status: 'warning',
    message:
      `the replication slot "${name}" already exists: a pgoutput slot of this database, as an earlier run of this task leaves it, ` +
      `confirmed up to ${slot.confirmed_flush_lsn ?? 'nothing yet'}${inUse}. ferry migrate resumes from it`,
    fix: `nothing to do to resume; to start over instead, drop it first: ${drop}`,
    objects: [name],
  };
}
