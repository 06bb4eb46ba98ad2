import { splitQualifiedName } from '@ferry/core';
import type { ParsedTask } from './task-schema.js';

type Objects = ParsedTask['objects'];

/**
 * Which source tables and columns a task moves, and what they are called in the
 * destination. Pure: the same answers for capture, sink, schema and verify.
 */
export class ObjectSelection {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(private readonly objects: Objects) {
    this.include = objects.include.map(patternToRegExp);
    this.exclude = objects.exclude.map(patternToRegExp);
  }

  /** True when the table is selected by include and not excluded. */
  includesTable(schema: string, table: string): boolean {
    const name = `${schema}.${table}`;
    return this.include.some((r) => r.test(name)) && !this.exclude.some((r) => r.test(name));
  }

  /** The columns to carry for a table, in source order; all of them unless `columns` names some. */
  selectColumns(schema: string, table: string, columns: readonly string[]): string[] {
    const chosen = this.lookup(this.objects.columns, schema, table);
    if (!chosen) return [...columns];
    const wanted = new Set(chosen);
    return columns.filter((c) => wanted.has(c));
  }

  /** Columns named in `columns` that the table does not have (a precheck error). */
  unknownColumns(schema: string, table: string, columns: readonly string[]): string[] {
    const chosen = this.lookup(this.objects.columns, schema, table) ?? [];
    const have = new Set(columns);
    return chosen.filter((c) => !have.has(c));
  }

  rowFilter(schema: string, table: string): string | undefined {
    return this.lookup(this.objects.where, schema, table);
  }

  /** Computed or masked columns and a drop condition for a table, if the task sets any (see objects.transform). */
  transform(schema: string, table: string): { columns: Record<string, string>; dropWhere?: string | undefined } | undefined {
    const transform = this.lookup(this.objects.transform, schema, table);
    if (!transform || (Object.keys(transform.columns).length === 0 && transform.dropWhere === undefined)) return undefined;
    return transform;
  }

  /** Which change kinds are carried in incremental sync. */
  operations(schema: string, table: string): Set<'insert' | 'update' | 'delete' | 'truncate'> {
    return new Set(this.lookup(this.objects.operations, schema, table) ?? ['insert', 'update', 'delete', 'truncate']);
  }

  /** Destination schema and table for a source table, after renames and the name-case policy. */
  destinationTable(schema: string, table: string): { schema: string; table: string } {
    const renamed = this.lookup(this.objects.rename.tables, schema, table);
    let destSchema = this.objects.rename.schemas[schema] ?? schema;
    let destTable = table;
    if (renamed) {
      const parts = splitQualifiedName(renamed);
      if (parts.length === 2) [destSchema, destTable] = parts as [string, string];
      else destTable = parts[0]!;
    }
    return { schema: this.applyCase(destSchema), table: this.applyCase(destTable) };
  }

  destinationSchema(schema: string): string {
    return this.applyCase(this.objects.rename.schemas[schema] ?? schema);
  }

  destinationColumn(schema: string, table: string, column: string): string {
    const renames = this.lookup(this.objects.rename.columns, schema, table);
    return this.applyCase(renames?.[column] ?? column);
  }

  private applyCase(name: string): string {
    if (this.objects.nameCase === 'lower') return name.toLowerCase();
    if (this.objects.nameCase === 'upper') return name.toUpperCase();
    return name;
  }

  /** Per-table settings are keyed "schema.table" (or "table" for public). */
  private lookup<T>(map: Record<string, T>, schema: string, table: string): T | undefined {
    return map[`${schema}.${table}`] ?? (schema === 'public' ? map[table] : undefined);
  }
}

/** "sales.*", "public.orders", "orders" (public), "*.*": * matches any run of characters. */
export function patternToRegExp(pattern: string): RegExp {
  const qualified = pattern.includes('.') ? pattern : `public.${pattern}`;
  const escaped = qualified.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
