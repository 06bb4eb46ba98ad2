/**
 * Micro benchmark of the COPY TEXT codec (not a test): `npx tsx packages/pg/src/copy-text.bench.ts`.
 * Small rows shaped like pgbench_accounts (int, int, int, 84-char filler) and a
 * mixed row with NULLs, escapes and non-ASCII text, cut into 64 KiB chunks as a
 * socket would deliver them.
 */
import { CopyTextSplitter, formatCopyRow, type CopyRow } from './copy-text.js';

function makeData(rows: number, makeRow: (i: number) => CopyRow): Buffer {
  let text = '';
  const parts: string[] = [];
  for (let i = 0; i < rows; i++) {
    text += formatCopyRow(makeRow(i));
    if (text.length > 1 << 20) {
      parts.push(text);
      text = '';
    }
  }
  parts.push(text);
  return Buffer.from(parts.join(''), 'utf8');
}

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

function measureParse(name: string, data: Buffer, rowCount: number): void {
  const pieces = chunks(data, 65536);
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    const splitter = new CopyTextSplitter();
    let rows = 0;
    for (const piece of pieces) rows += splitter.push(piece).length;
    splitter.end();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (rows !== rowCount) throw new Error(`expected ${rowCount} rows, got ${rows}`);
    if (round === 2) {
      console.log(
        `parse  ${name.padEnd(22)} ${(rows / seconds / 1e6).toFixed(2)} M rows/s  ${(data.length / seconds / 1e6).toFixed(0)} MB/s`,
      );
    }
  }
}

function measureFormat(name: string, rowCount: number, makeRow: (i: number) => CopyRow): void {
  const rows = Array.from({ length: rowCount }, (_, i) => makeRow(i));
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    let bytes = 0;
    for (const row of rows) bytes += formatCopyRow(row).length;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (round === 2) {
      console.log(`format ${name.padEnd(22)} ${(rowCount / seconds / 1e6).toFixed(2)} M rows/s  (${bytes} chars)`);
    }
  }
}

const ROWS = 1_000_000;
const filler = ' '.repeat(84);
const accounts = (i: number): CopyRow => [String(i + 1), String(i % 50), '0', filler];
const mixed = (i: number): CopyRow => [
  String(i),
  i % 3 === 0 ? null : `name ${i}`,
  i % 5 === 0 ? 'tab\there\nnew line \\ back' : 'plain',
  'héllo wörld ✓',
  '2024-01-01 12:00:00.123456+00',
];

measureParse('pgbench_accounts-like', makeData(ROWS, accounts), ROWS);
measureParse('mixed/escapes/unicode', makeData(ROWS, mixed), ROWS);
measureFormat('pgbench_accounts-like', ROWS, accounts);
measureFormat('mixed/escapes/unicode', ROWS, mixed);
