import type { ObjectSelection } from '@ferry/config';
import { quoteQualified } from '@ferry/pg';
import type pg from 'pg';
import { nextValue, readSequence, selectedSequences, sequenceAction } from '../cutover/sync-sequences.js';
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
  const items: SequenceVerificationItem[] = [];
  for (const sequence of await selectedSequences(source, selection)) {
    const target = { schema: selection.destinationSchema(sequence.schema), name: sequence.name };
    const from = await readSequence(source, sequence.schema, sequence.name, 'source');
    const item: SequenceVerificationItem = {
      sequence: `${sequence.schema}.${sequence.name}`,
      destinationSequence: `${target.schema}.${target.name}`,
      sourceNext: nextValue(from).toString(),
      destinationNext: null,
      status: 'missing',
    };
    const exists = await destination.query<{ present: string }>('SELECT (to_regclass($1) IS NOT NULL)::text AS present', [quoteQualified(target.schema, target.name)]);
    if (exists.rows[0]!.present === 'true') {
      const to = await readSequence(destination, target.schema, target.name, 'destination');
      item.destinationNext = nextValue(to).toString();
      item.status = sequenceAction(from, to) === 'kept' ? 'ok' : 'behind';
    }
    items.push(item);
  }
  return items;
}
