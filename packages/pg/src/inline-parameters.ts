import { DataError, InvariantError } from '@ferry/core';
import { quoteLiteral } from './quote.js';
import { blockCommentEnd, dollarQuoteEnd, quotedEnd } from './sql-tokens.js';

/** A value for a `$n` placeholder. Numbers and booleans are sent as their text. */
export type SqlValue = string | number | bigint | boolean | null;

/**
 * Replaces `$1`, `$2`, ... in `sql` with quoted literals, for the one statement
 * that takes no bind parameters: `COPY (SELECT ...) TO STDOUT`.
 *
 * Why this is safe: every value becomes a quoteLiteral string ('...' or E'...'),
 * never bare SQL; the SQL Ferry builds casts each placeholder (`$1::integer`), so
 * the literal gets the same type a bound parameter would; Ferry's sessions run
 * with standard_conforming_strings=on and client_encoding=UTF8 (connect.ts); and
 * the scanner leaves `$n` alone inside string literals, quoted identifiers,
 * comments and dollar-quoted bodies, so a user's row filter such as
 * `note <> 'costs $1'` is not touched.
 */
export function inlineParameters(sql: string, params: readonly SqlValue[]): string {
  if (params.length === 0) return sql;
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'") {
      i = skipQuoted(sql, i, "'", isEscapeStringPrefix(sql, i));
    } else if (ch === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (ch === '-' && sql[i + 1] === '-') {
      const lineEnd = sql.indexOf('\n', i);
      i = lineEnd < 0 ? sql.length : lineEnd + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (ch === '$' && !isIdentifierChar(sql[i - 1])) {
      const placeholder = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (placeholder) {
        const index = Number(placeholder[1]);
        if (index < 1 || index > params.length) {
          throw new InvariantError(`SQL refers to $${index} but only ${params.length} parameter(s) were given`);
        }
        out += sql.slice(copiedUpTo, i) + literal(params[index - 1]!);
        i += placeholder[0].length;
        copiedUpTo = i;
      } else {
        i = skipDollarQuoted(sql, i);
      }
    } else {
      i++;
    }
  }
  return out + sql.slice(copiedUpTo);
}

function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new InvariantError(`cannot inline the number ${value} as an SQL parameter`);
  }
  return quoteLiteral(String(value));
}

/** E'...' (or e'...'): backslash escapes apply inside. */
function isEscapeStringPrefix(sql: string, quoteAt: number): boolean {
  const before = sql[quoteAt - 1];
  return (before === 'E' || before === 'e') && !isIdentifierChar(sql[quoteAt - 2]);
}

/** Index just past the closing quote; a doubled quote stays inside. */
function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  const end = quotedEnd(sql, start, quote, backslashEscapes);
  if (end === null) throw new DataError(`unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'} in SQL`);
  return end;
}

function skipBlockComment(sql: string, start: number): number {
  const end = blockCommentEnd(sql, start);
  if (end === null) throw new DataError('unterminated /* comment in SQL');
  return end;
}

function skipDollarQuoted(sql: string, start: number): number {
  const { end, tag } = dollarQuoteEnd(sql, start);
  if (end === null) throw new DataError(`unterminated dollar-quoted string ${tag} in SQL`);
  return end;
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(ch);
}
