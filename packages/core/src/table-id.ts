/** A schema-qualified table name. Never spliced into SQL: use `quoteIdent` from @ferry/pg. */
export class TableId {
  constructor(
    readonly schema: string,
    readonly table: string,
  ) {
    if (schema.length === 0 || table.length === 0) {
      throw new TypeError(`table id needs a schema and a table, got "${schema}"."${table}"`);
    }
  }

  /**
   * Parses "schema.table"; a bare "table" means the `public` schema. Double quotes
   * keep dots and case inside a part: `"my.schema"."Orders"`.
   */
  static parse(text: string): TableId {
    const parts = splitQualifiedName(text);
    if (parts.length === 1) return new TableId('public', parts[0]!);
    if (parts.length === 2) return new TableId(parts[0]!, parts[1]!);
    throw new SyntaxError(`not a table name: "${text}" (expected schema.table)`);
  }

  /** Stable key for maps and topic names: schema.table without quoting. */
  get key(): string {
    return `${this.schema}.${this.table}`;
  }

  equals(other: TableId): boolean {
    return this.schema === other.schema && this.table === other.table;
  }

  toString(): string {
    return this.key;
  }

  toJSON(): string {
    return this.key;
  }
}

/** Splits a dotted name, honouring double quotes ("" inside quotes is one quote). */
export function splitQualifiedName(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          current += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
      wasQuoted = false;
    } else {
      current += ch;
    }
  }
  if (quoted) throw new SyntaxError(`unterminated quote in name: ${text}`);
  parts.push(current);
  if (parts.some((p) => p.length === 0) && !wasQuoted) {
    throw new SyntaxError(`empty part in name: "${text}"`);
  }
  return parts;
}
