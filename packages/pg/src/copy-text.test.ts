import { describe, expect, it } from 'vitest';
import { DataError } from '@ferry/core';
import {
  CopyTextSplitter,
  formatCopyRow,
  formatCopyValue,
  parseCopyLine,
  splitCopyText,
  type CopyRow,
} from './copy-text.js';

const nasty: CopyRow[] = [
  ['1', 'plain', null, ''],
  ['tab\there', 'new\nline', 'carriage\rreturn', 'back\\slash'],
  ['\\N', '\\', '\\\\', 'ends with backslash\\'],
  ['unicode é ✓ 日本語 😀', 'emoji 👩‍👩‍👧 family', 'zero\u200bwidth', ''],
  ['\b\f\v', 'all\t\n\r\\\b\f\v', ' leading and trailing ', null],
  ['', '', '', ''],
  [null, null, null, null],
];

describe('formatCopyValue / formatCopyRow', () => {
  it('escapes as COPY TO does', () => {
    expect(formatCopyValue(null)).toBe('\\N');
    expect(formatCopyValue('')).toBe('');
    expect(formatCopyValue('\\N')).toBe('\\\\N');
    expect(formatCopyValue('a\tb\nc\rd\\e\bf\fg\vh')).toBe('a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh');
    expect(formatCopyValue('日本 😀')).toBe('日本 😀');
  });

  it('joins with tabs and ends the line', () => {
    expect(formatCopyRow(['1', null, 'x y', ''])).toBe('1\t\\N\tx y\t\n');
    expect(formatCopyRow([])).toBe('\n');
  });

  it('rejects NUL, which PostgreSQL text cannot hold', () => {
    expect(() => formatCopyValue('a\0b')).toThrow(DataError);
  });
});

describe('parseCopyLine', () => {
  it('round-trips nasty values, keeping empty string apart from NULL', () => {
    for (const row of nasty) {
      const line = formatCopyRow(row).slice(0, -1);
      expect(parseCopyLine(line)).toEqual(row);
      expect(parseCopyLine(Buffer.from(line, 'utf8'))).toEqual(row);
    }
  });

  it('reads every escape COPY FROM accepts', () => {
    expect(parseCopyLine('\\b\\f\\n\\r\\t\\v\\\\')).toEqual(['\b\f\n\r\t\v\\']);
    // Octal (1 to 3 digits) and hex (1 or 2 digits) are bytes.
    expect(parseCopyLine('\\101\\102\\62\\7x')).toEqual(['AB2\u0007x']);
    expect(parseCopyLine('\\0102')).toEqual(['\b2']);
    expect(parseCopyLine('\\x41\\x4a\\x4G\\xZ')).toEqual(['AJ\u0004GxZ']);
    // Escaped bytes that form one UTF-8 character: é is C3 A9, ✓ is E2 9C 93.
    expect(parseCopyLine('caf\\303\\251 \\xe2\\x9c\\x93')).toEqual(['café ✓']);
    // Any other escaped character is itself.
    expect(parseCopyLine('\\a\\N\\é\\😀')).toEqual(['aNé😀']);
  });

  it('treats only a whole-field \\N as NULL', () => {
    expect(parseCopyLine('\\N\t\\\\N\tx\\N\t\\Nx')).toEqual([null, '\\N', 'xN', 'Nx']);
  });

  it('reads empty fields', () => {
    expect(parseCopyLine('')).toEqual(['']);
    expect(parseCopyLine('\t')).toEqual(['', '']);
    expect(parseCopyLine('a\t\tb')).toEqual(['a', '', 'b']);
  });

  it('rejects a lone trailing backslash, escaped NUL and raw newlines', () => {
    expect(() => parseCopyLine('abc\\')).toThrow(/lone backslash/);
    expect(() => parseCopyLine('\\101abc\\')).toThrow(/lone backslash/);
    expect(() => parseCopyLine('a\\000b')).toThrow(/NUL/);
    expect(() => parseCopyLine('a\nb')).toThrow(/raw newline/);
  });
});

describe('CopyTextSplitter', () => {
  const text = nasty.map(formatCopyRow).join('');
  const bytes = Buffer.from(text, 'utf8');

  function splitInto(sizes: (index: number) => number): CopyRow[] {
    const splitter = new CopyTextSplitter();
    const rows: CopyRow[] = [];
    let offset = 0;
    for (let i = 0; offset < bytes.length; i++) {
      const size = Math.max(1, sizes(i));
      rows.push(...splitter.push(bytes.subarray(offset, offset + size)));
      offset += size;
    }
    splitter.end();
    return rows;
  }

  it('gives the same rows whatever the chunking, even inside multi-byte characters', () => {
    expect(splitInto(() => bytes.length)).toEqual(nasty);
    expect(splitInto(() => 1)).toEqual(nasty);
    for (const size of [2, 3, 5, 7, 13, 64]) expect(splitInto(() => size)).toEqual(nasty);
    expect(splitInto((i) => (i * 7919) % 17)).toEqual(nasty);
  });

  it('keeps empty lines of a one-column table as empty strings', () => {
    const splitter = new CopyTextSplitter();
    expect(splitter.push(Buffer.from('a\n\n\\N\n\nb\n'))).toEqual([['a'], [''], [null], [''], ['b']]);
  });

  it('reads a row much larger than a chunk', () => {
    const big = 'x'.repeat(300_000) + '✓';
    const data = Buffer.from(formatCopyRow([big, '1']), 'utf8');
    const splitter = new CopyTextSplitter();
    const rows: CopyRow[] = [];
    for (let i = 0; i < data.length; i += 1000) rows.push(...splitter.push(data.subarray(i, i + 1000)));
    splitter.end();
    expect(rows).toEqual([[big, '1']]);
  });

  it('reports data that stops inside a row', () => {
    const splitter = new CopyTextSplitter();
    expect(splitter.push(Buffer.from('1\tcomplete\n2\tpart'))).toEqual([['1', 'complete']]);
    expect(() => splitter.end()).toThrow(/ended inside a row \(6 bytes/);
  });

  it('a one-column table with many lines and no tab stays linear', () => {
    const lines = 200_000;
    const data = Buffer.from('v\n'.repeat(lines));
    const started = Date.now();
    expect(new CopyTextSplitter().push(data)).toHaveLength(lines);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('splitCopyText', () => {
  it('yields batches from a byte stream', async () => {
    async function* source() {
      yield Buffer.from('1\ta\n2\t');
      yield Buffer.from('b\n');
      yield '3\t\\N\n';
    }
    const batches: CopyRow[][] = [];
    for await (const batch of splitCopyText(source())) batches.push(batch);
    expect(batches).toEqual([[['1', 'a']], [['2', 'b']], [['3', null]]]);
  });
});
