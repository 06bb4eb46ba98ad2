import type { PhaseName } from '@ferry/config';

/**
 * Capture prepares the source the same way for the full copy and for incremental
 * sync: it creates the publication and a logical slot whose exported snapshot
 * the copy reads, so both phases need what a slot needs (wal_level, a free slot,
 * REPLICATION, no table the publication would break).
 */
export function usesReplication(phases: readonly PhaseName[]): boolean {
  return phases.includes('full') || phases.includes('incremental');
}

export function streamsChanges(phases: readonly PhaseName[]): boolean {
  return phases.includes('incremental');
}
