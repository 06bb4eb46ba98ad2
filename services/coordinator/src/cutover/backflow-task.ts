import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { quoteQualified } from '@ferry/pg';

/** A table the forward task carries, with the source columns it carries. */
export interface ForwardTable {
  schema: string;
  table: string;
  columns: readonly string[];
}

/** `<name>-backflow`, shortened so it stays a legal task name (40 characters). */
export function backflowName(name: string): string {
  return `${name.slice(0, 40 - '-backflow'.length)}-backflow`;
}

type Doc = Record<string, unknown>;

/**
 * The reverse task of a cut-over task, as a task document: source = the destination,
 * destination = the old source, incremental only (the slot is created now, nothing is
 * copied), the forward task's destination names as the tables to capture, and renames
 * that map them back to the source names. It gets its own name, so its own slot,
 * publication, topic prefix, consumer group and replication origins; the topic prefix
 * ends in "-backflow" rather than starting with "<prefix>." so the forward sink never
 * subscribes to the reverse topics.
 *
 * Connection values come from the task file as written, `${VAR}` references included:
 * the derived file holds no password the original did not.
 */
export function backflowTaskDocument(forward: Doc, task: TaskConfig, destinationIndex: number, tables: readonly ForwardTable[]): Doc {
  const selection = new ObjectSelection(task.objects);
  const rawSource = forward.source as Doc;
  const rawDestination = (Array.isArray(forward.destinations) ? (forward.destinations[destinationIndex] as Doc) : (forward.destination as Doc)) ?? {};
  const include: string[] = [];
  const renameTables: Record<string, string> = {};
  const renameColumns: Record<string, Record<string, string>> = {};
  for (const t of tables) {
    const dest = selection.destinationTable(t.schema, t.table);
    const key = `${dest.schema}.${dest.table}`;
    include.push(key);
    if (dest.schema !== t.schema || dest.table !== t.table) renameTables[key] = quoteQualified(t.schema, t.table);
    for (const column of t.columns) {
      const destColumn = selection.destinationColumn(t.schema, t.table, column);
      if (destColumn !== column) (renameColumns[key] ??= {})[destColumn] = column;
    }
  }
  const { topicPrefix: _prefix, clientId: _clientId, ...kafka } = (forward.kafka as Doc) ?? {};
  const doc: Doc = {
    name: backflowName(task.name),
    source: endpoint(rawDestination),
    destination: endpoint(rawSource),
    kafka: { ...kafka, topicPrefix: `${task.kafka.topicPrefix}-backflow` },
    schemaRegistry: forward.schemaRegistry,
    phases: ['incremental'],
    // The old source has every table already: the backflow writes into them.
    conflictingTables: 'ignore',
    objects: { include, rename: { tables: renameTables, columns: renameColumns } },
  };
  for (const key of ['throttle', 'retry', 'alerts'] as const) if (forward[key] !== undefined) doc[key] = forward[key];
  return doc;
}

function endpoint(raw: Doc): Doc {
  return raw.sslmode === undefined ? { url: raw.url } : { url: raw.url, sslmode: raw.sslmode };
}
