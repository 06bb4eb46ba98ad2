import type pg from 'pg';
import { quoteIdent } from '@ferry/pg';
import type { DdlStatement } from './ddl-plan.js';
import { NameMapper } from './name-mapper.js';
import { planDdl } from './plan-ddl.js';
import { readSourceSchema } from './read-source-schema.js';
import { rewriteSqlNames, tokenizeSql } from './rewrite-sql-names.js';
import type { SchemaModel, ViewInfo } from './schema-model.js';
import { selectEverything, type TableSelection } from './table-selection.js';

export interface SchemaDifference {
  /** missing: the source has it, the destination not; extra: the other way round; different: both, not alike. */
  difference: 'missing' | 'extra' | 'different';
  /** A plan statement kind (table, index, view, ...), or column / constraint for the parts of a table. */
  kind: string;
  /** Destination name, quoted as in SQL. */
  objectName: string;
  /** The object as DDL: the source's (under destination names) and the destination's. */
  source?: string;
  destination?: string;
}

/**
 * Compares a source schema with a destination schema after name mapping: both
 * models are planned into DDL under destination names (the destination's as it
 * stands), and the statements are compared object by object, tables column by
 * column and constraint by constraint. SQL is compared with identifiers quoted
 * alike and whitespace collapsed.
 *
 * View and rule bodies are deparsed differently by different major versions
 * (16 dropped the table prefix of columns in single-table views), so across
 * majors views are compared by their columns and rules by existence; within one
 * major, by their full definition too.
 */
export function compareSchemas(source: SchemaModel, destination: SchemaModel, selection: TableSelection): SchemaDifference[] {
  const sameMajor = major(source.serverVersion) === major(destination.serverVersion);
  const expected = describe(planDdl(source, selection).statements, source, new NameMapper(source, selection), sameMajor);
  const identity = selectEverything();
  const actual = describe(planDdl(destination, identity).statements, destination, new NameMapper(destination, identity), sameMajor);

  const differences: SchemaDifference[] = [];
  const tablesWithPartDifferences = new Set<string>();
  for (const [key, entry] of expected) {
    const found = actual.get(key);
    if (!found) differences.push({ difference: 'missing', kind: entry.kind, objectName: entry.objectName, source: entry.definition });
    else if (found.definition !== entry.definition) {
      if (entry.table !== undefined) tablesWithPartDifferences.add(entry.table);
      differences.push({ difference: 'different', kind: entry.kind, objectName: entry.objectName, source: entry.definition, destination: found.definition });
    }
  }
  for (const [key, entry] of actual) {
    if (!expected.has(key)) {
      if (entry.table !== undefined) tablesWithPartDifferences.add(entry.table);
      differences.push({ difference: 'extra', kind: entry.kind, objectName: entry.objectName, destination: entry.definition });
    }
  }
  // A table whose columns or constraints differ is reported through them, not a second time as a whole.
  return differences.filter(
    (difference) => !(difference.difference === 'different' && isTableKind(difference.kind) && tablesWithPartDifferences.has(difference.objectName)),
  );
}

/** Reads the source (under the task's selection) and the destination schemas it maps to, and compares them. */
export async function compareSchema(sourceClient: pg.ClientBase, destinationClient: pg.ClientBase, selection: TableSelection): Promise<SchemaDifference[]> {
  const source = await readSourceSchema(sourceClient, selection);
  const destination = await readSourceSchema(destinationClient, selectEverything(destinationSchemas(source, selection)));
  return compareSchemas(source, destination, selection);
}

/** The destination schemas a source model maps to. */
export function destinationSchemas(source: SchemaModel, selection: TableSelection): string[] {
  const mapper = new NameMapper(source, selection);
  return [...new Set(source.schemas.map((schema) => mapper.schema(schema.name)))];
}

/** One line per difference, for a terminal. */
export function formatDifferences(differences: readonly SchemaDifference[]): string {
  return differences
    .map((d) => {
      if (d.difference === 'missing') return `missing on the destination: ${d.kind} ${d.objectName}\n  source: ${d.source}`;
      if (d.difference === 'extra') return `only on the destination: ${d.kind} ${d.objectName}\n  destination: ${d.destination}`;
      return `different: ${d.kind} ${d.objectName}\n  source:      ${d.source}\n  destination: ${d.destination}`;
    })
    .join('\n');
}

interface Entry {
  kind: string;
  objectName: string;
  definition: string;
  /** For columns and constraints: their table's objectName. */
  table?: string;
}

function describe(statements: readonly DdlStatement[], model: SchemaModel, mapper: NameMapper, sameMajor: boolean): Map<string, Entry> {
  const views = new Map<string, ViewInfo>(model.views.map((view) => [mapper.quotedTable({ schema: view.schema, table: view.name }), view]));
  const entries = new Map<string, Entry>();
  const add = (entry: Entry) => entries.set(`${entry.kind}\u0000${entry.objectName}`, entry);
  for (const statement of statements) {
    const view = statement.kind === 'view' || statement.kind === 'materialized-view' ? views.get(statement.objectName) : undefined;
    if (view) {
      const columns = view.columns.map((column) => `${quoteIdent(column.name)} ${mapper.type(column.type)}`).join(', ');
      add({ kind: statement.kind, objectName: statement.objectName, definition: canonicalSql(`columns (${columns})${sameMajor ? ` AS ${statement.sql}` : ''}`) });
      continue;
    }
    if (statement.kind === 'rule' && !sameMajor) {
      add({ kind: statement.kind, objectName: statement.objectName, definition: '' });
      continue;
    }
    const sql = statement.kind === 'function' || statement.kind === 'procedure' ? withoutInModes(statement.sql) : statement.sql;
    add({ kind: statement.kind, objectName: statement.objectName, definition: canonicalSql(sql) });
    for (const part of statement.parts ?? []) {
      const objectName = part.kind === 'column' ? `${statement.objectName}.${part.name}` : `${part.name} on ${statement.objectName}`;
      add({ kind: part.kind, objectName, definition: canonicalSql(part.sql), table: statement.objectName });
    }
  }
  return entries;
}

/** The same SQL written alike: every name quoted, whitespace collapsed. */
export function canonicalSql(sql: string): string {
  return rewriteSqlNames(sql, (reference) => (reference.keywordLike ? undefined : { parts: reference.parts }), { collapseWhitespace: true }).trim();
}

/**
 * pg_get_functiondef of PostgreSQL 14+ writes the default argument mode of a
 * procedure (`IN name type`), 13 and older leave it out: drop it from the
 * header (never from the body) so the two compare equal.
 */
export function withoutInModes(definition: string): string {
  const tokens = tokenizeSql(definition);
  const bodyStart = tokens.findIndex((token) => token.kind === 'dollar' || (token.kind === 'ident' && /^(AS|BEGIN|RETURN)$/.test(token.text)));
  const headerEnd = bodyStart < 0 ? tokens.length : bodyStart;
  const out: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const isMode = i < headerEnd && token.kind === 'ident' && token.text === 'IN' && (previous === '(' || previous === ',') && tokens[i + 1]?.kind === 'space';
    if (isMode) {
      i += 1; // the space after it
      continue;
    }
    out.push(token.text);
    if (token.kind !== 'space') previous = token.text;
  }
  return out.join('');
}

function isTableKind(kind: string): boolean {
  return kind === 'table' || kind === 'partition';
}

function major(serverVersion: number): number {
  return Math.floor(serverVersion / 10000);
}
