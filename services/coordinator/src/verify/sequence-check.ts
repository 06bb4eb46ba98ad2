import type { ObjectSelection } from '@ferry/config';
import type pg from 'pg';
import { nextValue, readSequencePairs, sequenceAction } from '../cutover/sync-sequences.js';
import type { SequenceVerificationItem, SequenceVerificationSummary } from './verification-summary.js';

export type SequenceSetting = 'auto' | 'strict' | 'info' | 'off';

/**
 * How sequences count. Sync carries rows, not sequence positions: until the cutover syncs
 * them, a destination sequence is expected to be behind, so `auto` only reports it; after
 * a finished cutover a sequence behind would hand out a used value, so `auto` fails on it.
 */
export function sequenceMode(setting: SequenceSetting, afterCutover: boolean): 'strict' | 'info' | null {
  if (setting === 'off') return null;
  if (setting === 'auto') return afterCutover ? 'strict' : 'info';
  return setting;
}

/** A sequence is ok when the destination will not hand out a value the source has (level or ahead). Pure. */
export function summarizeSequences(mode: 'strict' | 'info', items: SequenceVerificationItem[]): SequenceVerificationSummary {
  return { mode, ok: mode === 'info' || items.every((item) => item.status === 'ok'), items };
}

/** Reads every selected sequence (as the cutover syncs them) on both sides. */
export async function checkSequences(source: pg.ClientBase, destination: pg.ClientBase, selection: ObjectSelection): Promise<SequenceVerificationItem[]> {
  return (await readSequencePairs(source, destination, selection)).map((pair) => ({
    sequence: pair.sequence,
    destinationSequence: pair.destinationSequence,
    sourceNext: nextValue(pair.source).toString(),
    destinationNext: pair.destination === null ? null : nextValue(pair.destination).toString(),
    status: pair.destination === null ? 'missing' : sequenceAction(pair.source, pair.destination) === 'kept' ? 'ok' : 'behind',
  }));
}
