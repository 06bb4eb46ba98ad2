import type pg from 'pg';
import type { QualifiedName, TableRef, TriggerInfo } from '../schema-model.js';
import { tokenizeSql } from '../rewrite-sql-names.js';
import { procName } from './name-sql.js';
import { queryJson } from './query-json.js';

interface TriggerRow {
  oid: number;
  name: string;
  schema: string;
  table: string;
  tableOid: number;
  type: number;
  updateColumns: string[];
  definition: string;
  function: QualifiedName;
  args: string;
  argumentCount: number;
  isConstraint: boolean;
  deferrable: boolean;
  initiallyDeferred: boolean;
  referencedTable: TableRef | null;
  oldTable: string | null;
  newTable: string | null;
  enabled: TriggerInfo['enabled'];
  whenColumns: string[];
}

// pg_trigger.tgtype bits (catalog/pg_trigger.h)
const ROW = 1;
const BEFORE = 2;
const INSERT = 4;
const DELETE = 8;
const UPDATE = 16;
const TRUNCATE = 32;
const INSTEAD = 64;

/** User triggers of the given relations: not internal ones (foreign keys) nor clones a partition takes from its parent. */
export async function readTriggers(client: pg.ClientBase, relationOids: readonly number[], serverVersion: number): Promise<TriggerInfo[]> {
  if (relationOids.length === 0) return [];
  const notCloned = serverVersion >= 130000 ? 'AND tg.tgparentid = 0' : '';
  const rows = await queryJson<TriggerRow>(
    client,
    `SELECT tg.oid, tg.tgname AS name, n.nspname AS schema, c.relname AS "table", tg.tgrelid AS "tableOid", tg.tgtype AS type,
            ARRAY(SELECT a.attname FROM unnest(tg.tgattr::int2[]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = tg.tgrelid AND a.attnum = k.attnum ORDER BY k.ord) AS "updateColumns",
            pg_catalog.pg_get_triggerdef(tg.oid, false) AS definition,
            ${procName('tg.tgfoid')} AS function,
            encode(tg.tgargs, 'hex') AS args, tg.tgnargs AS "argumentCount",
            tg.tgconstraint <> 0 AS "isConstraint", tg.tgdeferrable AS deferrable, tg.tginitdeferred AS "initiallyDeferred",
            (SELECT json_build_object('schema', rn.nspname, 'table', rc.relname) FROM pg_catalog.pg_class rc
               JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = tg.tgconstrrelid) AS "referencedTable",
            tg.tgoldtable AS "oldTable", tg.tgnewtable AS "newTable", tg.tgenabled AS enabled,
            ARRAY(SELECT DISTINCT a.attname FROM pg_catalog.pg_depend d
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_trigger'::pg_catalog.regclass AND d.objid = tg.oid
                     AND d.refobjid = tg.tgrelid AND d.refobjsubid > 0) AS "whenColumns"
       FROM pg_catalog.pg_trigger tg
       JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE tg.tgrelid = ANY($1::oid[]) AND NOT tg.tgisinternal ${notCloned}
      ORDER BY n.nspname, c.relname, tg.tgname`,
    [relationOids],
  );
  return rows.map(toTrigger);
}

function toTrigger(row: TriggerRow): TriggerInfo {
  const events: TriggerInfo['events'] = [];
  if (row.type & INSERT) events.push('INSERT');
  if (row.type & DELETE) events.push('DELETE');
  if (row.type & UPDATE) events.push('UPDATE');
  if (row.type & TRUNCATE) events.push('TRUNCATE');
  const trigger: TriggerInfo = {
    id: `pg_trigger:${row.oid}`,
    name: row.name,
    table: { schema: row.schema, table: row.table },
    tableId: `pg_class:${row.tableOid}`,
    timing: row.type & INSTEAD ? 'INSTEAD OF' : row.type & BEFORE ? 'BEFORE' : 'AFTER',
    events,
    updateColumns: row.updateColumns,
    forEachRow: (row.type & ROW) !== 0,
    function: row.function,
    arguments: triggerArguments(row.args, row.argumentCount),
    enabled: row.enabled,
    columns: [...new Set([...row.updateColumns, ...row.whenColumns])],
  };
  const when = whenCondition(row.definition);
  if (when !== undefined) trigger.when = when;
  if (row.isConstraint) {
    trigger.constraint = { deferrable: row.deferrable, initiallyDeferred: row.initiallyDeferred };
    if (row.referencedTable) trigger.constraint.referencedTable = row.referencedTable;
  }
  if (row.oldTable !== null) trigger.oldTable = row.oldTable;
  if (row.newTable !== null) trigger.newTable = row.newTable;
  return trigger;
}

/** tgargs: each argument followed by a NUL byte. */
export function triggerArguments(hex: string, count: number): string[] {
  if (count === 0) return [];
  return Buffer.from(hex, 'hex').toString('utf8').split('\0').slice(0, count);
}

/**
 * The WHEN condition from pg_get_triggerdef: the parenthesized text after the
 * keyword WHEN. Deparsed SQL writes keywords unquoted in capitals, so an
 * unquoted `WHEN` outside parentheses can only be the clause.
 */
export function whenCondition(definition: string): string | undefined {
  const tokens = tokenizeSql(definition);
  let depth = 0;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    if (token.kind === 'punct' && token.text === '(') depth += 1;
    else if (token.kind === 'punct' && token.text === ')') depth -= 1;
    else if (depth === 0 && token.kind === 'ident' && token.text === 'WHEN') {
      let open = i + 1;
      while (tokens[open]?.kind === 'space') open += 1;
      if (tokens[open]?.text !== '(') return undefined;
      let level = 0;
      for (let close = open; close < tokens.length; close += 1) {
        const t = tokens[close]!;
        if (t.kind === 'punct' && t.text === '(') level += 1;
        if (t.kind === 'punct' && t.text === ')') level -= 1;
        if (level === 0) return tokens.slice(open + 1, close).map((part) => part.text).join('').trim();
      }
      return undefined;
    }
  }
  return undefined;
}
