/**
 * Ends of the SQL tokens inside which nothing is code: quoted strings and identifiers,
 * block comments, dollar quotes. Each returns the index just past the token, or null when
 * the text ends first; the callers decide what an unterminated token means.
 */

/** '...' or "...": a doubled quote stays inside; E'' strings also take backslash escapes. */
export function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number | null {
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (backslashEscapes && ch === '\\') {
      i += 2;
    } else if (ch === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return null;
}

/** /* ... *\/, which nest in PostgreSQL. */
export function blockCommentEnd(sql: string, start: number): number | null {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    const two = sql.slice(i, i + 2);
    if (two === '/*') {
      depth += 1;
      i += 2;
    } else if (two === '*/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return null;
}

/** $tag$ ... $tag$ (tag may be empty); a bare "$" that opens no quote is one character. */
export function dollarQuoteEnd(sql: string, start: number): { end: number | null; tag: string } {
  const open = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(start, start + 64));
  if (!open) return { end: start + 1, tag: '' };
  const close = sql.indexOf(open[0], start + open[0].length);
  return { end: close < 0 ? null : close + open[0].length, tag: open[0] };
}
