import { DataError } from '@ferry/core';

/**
 * PostgreSQL's COPY TEXT format (https://www.postgresql.org/docs/current/sql-copy.html):
 * one row per line, columns separated by a tab, `\N` for NULL, and backslash
 * escapes for the characters that would break the layout.
 *
 * This is the hot path of the snapshot, so it works on whole chunks: a chunk is
 * cut at its last newline (a 0x0A byte is never part of a multi-byte UTF-8
 * character, so the cut never splits one), decoded to a string once, and fields
 * are string slices found with indexOf. Only fields that contain a backslash
 * take the slow, character-by-character path.
 */

/** One row: each column's text, or null. */
export type CopyRow = (string | null)[];

const NEWLINE = 10;
const BACKSLASH = 92;

/**
 * Parses one COPY TEXT line (without its newline). Accepts every escape COPY FROM
 * accepts: \b \f \n \r \t \v \\, \ooo (1–3 octal digits) and \xhh (1–2 hex
 * digits) as raw bytes, and a backslash before any other character as that
 * character.
 */
export function parseCopyLine(line: string | Buffer): CopyRow {
  const text = typeof line === 'string' ? line : line.toString('utf8');
  if (text.includes('\n')) {
    throw new DataError('a COPY line cannot contain a raw newline; split the data into lines first');
  }
  const rows: CopyRow[] = [];
  parseLinesInto(`${text}\n`, rows);
  return rows[0]!;
}

/** PostgreSQL's COPY TEXT form of one value: NULL is `\N`; backslash and control characters are escaped. */
export function formatCopyValue(value: string | null): string {
  if (value === null) return '\\N';
  return NEEDS_ESCAPE.test(value) ? escapeValue(value) : value;
}

/** One COPY TEXT line, newline included. */
export function formatCopyRow(values: readonly (string | null)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += formatCopyValue(values[i] ?? null);
  }
  return `${line}\n`;
}

/**
 * Turns the bytes of `COPY ... TO STDOUT` (any chunking) into rows without holding
 * more than one chunk plus one unfinished line. Push chunks, then call `end()`.
 *
 * It splits on raw newlines, which is right for what PostgreSQL writes: COPY TO
 * always escapes a newline inside a value as `\n`. (COPY FROM would also accept a
 * backslash before a raw newline; PostgreSQL never produces that.)
 */
export class CopyTextSplitter {
  /** Bytes of the unfinished last line, kept as pieces so a huge row is joined once. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Rows completed by this chunk (possibly none). */
  push(chunk: Buffer): CopyRow[] {
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline < 0) {
      if (chunk.length > 0) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
      return [];
    }
    let text: string;
    if (this.pendingBytes === 0) {
      text = chunk.toString('utf8', 0, lastNewline + 1);
    } else {
      this.pending.push(chunk.subarray(0, lastNewline + 1));
      text = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (lastNewline + 1 < chunk.length) {
      this.pending.push(chunk.subarray(lastNewline + 1));
      this.pendingBytes += chunk.length - lastNewline - 1;
    }
    const rows: CopyRow[] = [];
    parseLinesInto(text, rows);
    return rows;
  }

  /** Checks that the data ended on a row boundary. */
  end(): void {
    if (this.pendingBytes > 0) {
      throw new DataError(`COPY data ended inside a row (${this.pendingBytes} bytes after the last newline)`);
    }
  }
}

/** Batches of rows from a COPY TO STDOUT byte stream; one batch per chunk that completed a row. */
export async function* splitCopyText(source: AsyncIterable<Buffer | string>): AsyncGenerator<CopyRow[]> {
  const splitter = new CopyTextSplitter();
  for await (const chunk of source) {
    const rows = splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    if (rows.length > 0) yield rows;
  }
  splitter.end();
}

/**
 * Parses every line of `text`, which ends with a newline. The positions of the next
 * tab and the next backslash are remembered across fields and lines, so each is
 * searched for once per occurrence, not once per field: a one-column table with no
 * tab at all costs one indexOf, not one per line.
 *
 * Both start as UNKNOWN so the first field runs the searches in the loop itself:
 * when the backslash search had never run (data without escapes), V8 compiled
 * this loop about five times slower.
 */
function parseLinesInto(text: string, rows: CopyRow[]): void {
  const length = text.length;
  let nextTab = UNKNOWN;
  let nextBackslash = UNKNOWN;
  let lineStart = 0;
  while (lineStart < length) {
    const lineEnd = text.indexOf('\n', lineStart);
    const row: CopyRow = [];
    let fieldStart = lineStart;
    for (;;) {
      if (nextTab !== NONE && nextTab < fieldStart) nextTab = text.indexOf('\t', fieldStart);
      const fieldEnd = nextTab !== NONE && nextTab < lineEnd ? nextTab : lineEnd;
      if (nextBackslash !== NONE && nextBackslash < fieldStart) nextBackslash = text.indexOf('\\', fieldStart);
      // One push site: with a push in each branch the loop ran about 1.5x slower.
      let value: string | null;
      if (nextBackslash !== NONE && nextBackslash < fieldEnd) value = unescapeField(text, fieldStart, fieldEnd);
      else value = text.slice(fieldStart, fieldEnd);
      row.push(value);
      if (fieldEnd === lineEnd) break;
      fieldStart = fieldEnd + 1;
    }
    rows.push(row);
    lineStart = lineEnd + 1;
  }
}

/** Search positions: NONE = no more in this text; UNKNOWN = not searched yet (below any position). */
const NONE = -1;
const UNKNOWN = -2;

/** A field that holds at least one backslash: `\N` (NULL) or escapes. */
function unescapeField(text: string, start: number, end: number): string | null {
  if (end - start === 2 && text.charCodeAt(start) === BACKSLASH && text.charCodeAt(start + 1) === 78 /* N */) {
    return null;
  }
  let out = '';
  let runStart = start;
  for (let i = text.indexOf('\\', start); i >= 0 && i < end; i = text.indexOf('\\', runStart)) {
    out += text.slice(runStart, i);
    if (i + 1 >= end) throw new DataError('COPY value ends with a lone backslash');
    const next = text.charCodeAt(i + 1);
    const simple = simpleEscape(next);
    if (simple !== undefined) {
      out += simple;
    } else if (isOctalDigit(next) || (next === 120 /* x */ && i + 2 < end && isHexDigit(text.charCodeAt(i + 2)))) {
      // Octal and hex escapes stand for raw bytes, which may combine into one
      // multi-byte character: decode this field at the byte level instead.
      return unescapeBytes(Buffer.from(text.slice(start, end), 'utf8'));
    } else {
      out += text[i + 1];
    }
    runStart = i + 2;
  }
  return out + text.slice(runStart, end);
}

function simpleEscape(code: number): string | undefined {
  switch (code) {
    case 98: return '\b';
    case 102: return '\f';
    case 110: return '\n';
    case 114: return '\r';
    case 116: return '\t';
    case 118: return '\v';
    case BACKSLASH: return '\\';
    default: return undefined;
  }
}

/** The byte-level decoder, for fields with \ooo or \xhh escapes. */
function unescapeBytes(bytes: Buffer): string {
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b !== BACKSLASH) {
      out[o++] = b;
      i++;
      continue;
    }
    if (i + 1 >= bytes.length) throw new DataError('COPY value ends with a lone backslash');
    const next = bytes[i + 1]!;
    if (isOctalDigit(next)) {
      let value = 0;
      let j = i + 1;
      while (j < bytes.length && j < i + 4 && isOctalDigit(bytes[j]!)) value = value * 8 + (bytes[j++]! - 48);
      out[o++] = checkNotNul(value & 0xff);
      i = j;
    } else if (next === 120 /* x */ && i + 2 < bytes.length && isHexDigit(bytes[i + 2]!)) {
      let value = 0;
      let j = i + 2;
      while (j < bytes.length && j < i + 4 && isHexDigit(bytes[j]!)) value = value * 16 + hexValue(bytes[j++]!);
      out[o++] = checkNotNul(value);
      i = j;
    } else {
      const simple = simpleEscape(next);
      out[o++] = simple === undefined ? next : simple.charCodeAt(0);
      i += 2;
    }
  }
  return out.toString('utf8', 0, o);
}

function checkNotNul(byte: number): number {
  if (byte === 0) throw new DataError('COPY value has an escaped NUL byte, which PostgreSQL text cannot hold');
  return byte;
}

function isOctalDigit(code: number): boolean {
  return code >= 48 && code <= 55;
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function hexValue(code: number): number {
  if (code <= 57) return code - 48;
  if (code <= 70) return code - 55;
  return code - 87;
}

/** Characters COPY TO escapes (as PostgreSQL's CopyAttributeOutText does), plus NUL, which we reject. */
const NEEDS_ESCAPE = /[\\\x00\x08-\x0d]/;

const ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  [BACKSLASH]: '\\\\',
};

function escapeValue(value: string): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0) {
      throw new DataError('a PostgreSQL text value cannot contain a NUL character (\\u0000)');
    }
    const escape = code === BACKSLASH || (code >= 8 && code <= 13) ? ESCAPES[code] : undefined;
    if (escape !== undefined) {
      out += value.slice(runStart, i) + escape;
      runStart = i + 1;
    }
  }
  return out + value.slice(runStart);
}
