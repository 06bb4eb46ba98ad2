import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { PermissionError } from '@ferry/core';
import { listTables, openClient, quoteQualified } from '@ferry/pg';
import type pg from 'pg';

export interface SequenceValue {
  lastValue: bigint;
  isCalled: boolean;
  increment: bigint;
}

export interface SequenceSync {
  /** schema.name on the source. */
  sequence: string;
  /** schema.name on the destination (the schema mapped like the tables', the name kept). */
  destination: string;
  /** The value nextval would return next; text, so the task state stays JSON. */
  sourceNext: string;
  destinationNext: string | null;
  action: 'set' | 'kept' | 'missing';
}

/** What nextval returns next. */
export function nextValue(value: SequenceValue): bigint {
  return value.isCalled ? value.lastValue + value.increment : value.lastValue;
}

/**
 * Set the destination to the source's position unless the destination is already further
 * along in the sequence's direction: moving a sequence back could hand out a value twice.
 */
export function sequenceAction(source: SequenceValue, destination: SequenceValue): 'set' | 'kept' {
  const from = nextValue(source);
  const to = nextValue(destination);
  const ahead = source.increment > 0n ? to >= from : to <= from;
  return ahead ? 'kept' : 'set';
}

/**
 * Step 4: every sequence of the selected schemas (serial and identity sequences included)
 * and every sequence a selected table owns gets the source's position on the destination,
 * so the next value there does not collide with a row copied from the source.
 */
export async function syncSequences(task: TaskConfig, destinationIndex: number): Promise<SequenceSync[]> {
  const selection = new ObjectSelection(task.objects);
  const source = await openClient(task.source.url, { applicationName: 'ferry-cutover', role: 'source' });
  const destination = await openClient(task.destinations[destinationIndex]!.url, { applicationName: 'ferry-cutover', role: 'destination' });
  try {
    const results: SequenceSync[] = [];
    for (const pair of await readSequencePairs(source, destination, selection)) {
      const result: SequenceSync = {
        sequence: pair.sequence,
        destination: pair.destinationSequence,
        sourceNext: nextValue(pair.source).toString(),
        destinationNext: pair.destination === null ? null : nextValue(pair.destination).toString(),
        action: pair.destination === null ? 'missing' : sequenceAction(pair.source, pair.destination),
      };
      if (result.action === 'set') {
        await destination.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [pair.destinationName, pair.source.lastValue.toString(), pair.source.isCalled]);
      }
      results.push(result);
    }
    return results;
  } finally {
    await Promise.allSettled([source.end(), destination.end()]);
  }
}

export interface SequencePair {
  /** schema.name on the source. */
  sequence: string;
  /** schema.name on the destination (the schema mapped like the tables', the name kept). */
  destinationSequence: string;
  /** The destination sequence, quoted, for regclass parameters. */
  destinationName: string;
  source: SequenceValue;
  /** null when the destination has no such sequence. */
  destination: SequenceValue | null;
}

/** Every selected sequence's state on the source and, where it exists, on the destination. */
export async function readSequencePairs(source: pg.ClientBase, destination: pg.ClientBase, selection: ObjectSelection): Promise<SequencePair[]> {
  const pairs: SequencePair[] = [];
  for (const sequence of await selectedSequences(source, selection)) {
    const target = { schema: selection.destinationSchema(sequence.schema), name: sequence.name };
    const destinationName = quoteQualified(target.schema, target.name);
    const exists = await destination.query<{ present: string }>('SELECT (to_regclass($1) IS NOT NULL)::text AS present', [destinationName]);
    pairs.push({
      sequence: `${sequence.schema}.${sequence.name}`,
      destinationSequence: `${target.schema}.${target.name}`,
      destinationName,
      source: await readSequence(source, sequence.schema, sequence.name, 'source'),
      destination: exists.rows[0]!.present === 'true' ? await readSequence(destination, target.schema, target.name, 'destination') : null,
    });
  }
  return pairs;
}

export async function selectedSequences(client: pg.ClientBase, selection: ObjectSelection): Promise<{ schema: string; name: string }[]> {
  const schemas = new Set((await listTables(client)).filter((t) => selection.includesTable(t.schema, t.name)).map((t) => t.schema));
  const { rows } = await client.query<{ schema: string; name: string; owners: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            (SELECT json_agg(json_build_array(tn.nspname, t.relname))
               FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))::text AS owners
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'ferry') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
     ORDER BY 1, 2`,
  );
  return rows.filter((r) => {
    if (schemas.has(r.schema)) return true;
    const owners = r.owners ? (JSON.parse(r.owners) as [string, string][]) : [];
    return owners.some(([schema, table]) => selection.includesTable(schema, table));
  });
}

export async function readSequence(client: pg.ClientBase, schema: string, name: string, side: 'source' | 'destination'): Promise<SequenceValue> {
  try {
    const state = await client.query<{ last_value: string; is_called: string }>(`SELECT last_value::text, is_called::text FROM ${quoteQualified(schema, name)}`);
    const options = await client.query<{ increment: string }>('SELECT seqincrement::text AS increment FROM pg_sequence WHERE seqrelid = $1::regclass', [quoteQualified(schema, name)]);
    const row = state.rows[0]!;
    return { lastValue: BigInt(row.last_value), isCalled: row.is_called === 'true', increment: BigInt(options.rows[0]!.increment) };
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    throw new PermissionError(`Ferry cannot read sequence ${schema}.${name} on the ${side}`, {
      cause: error,
      fix: `GRANT SELECT${side === 'destination' ? ', UPDATE' : ''} ON SEQUENCE ${quoteQualified(schema, name)} TO the role Ferry connects as`,
    });
  }
}
