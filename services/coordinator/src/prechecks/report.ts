import type { CheckResult, CheckStatus } from './types.js';

export interface PrecheckSummary {
  pass: number;
  warning: number;
  error: number;
  /** No error: the task may start (warnings are the operator's call). */
  ok: boolean;
}

export function summarizeResults(results: readonly CheckResult[]): PrecheckSummary {
  const summary = { pass: 0, warning: 0, error: 0 };
  for (const r of results) summary[r.status] += 1;
  return { ...summary, ok: summary.error === 0 };
}

export interface FormatOptions {
  /** Total line width to wrap messages to (default 120). */
  width?: number;
}

const STATUS_LABEL: Record<CheckStatus, string> = { pass: 'PASS', warning: 'WARN', error: 'ERROR' };
const HEAD = { status: 'STATUS', check: 'CHECK', message: 'MESSAGE / FIX' };

/**
 * The terminal report: one row per result with status, check and message, the fix
 * on the lines below the message. Passes come first and errors last, so what
 * needs action sits right above the summary line at the bottom of the terminal.
 */
export function formatPrecheckReport(results: readonly CheckResult[], options: FormatOptions = {}): string {
  const width = options.width ?? 120;
  const statusWidth = Math.max(HEAD.status.length, ...Object.values(STATUS_LABEL).map((s) => s.length));
  const checkWidth = Math.max(HEAD.check.length, ...results.map((r) => r.id.length));
  const indent = statusWidth + 2 + checkWidth + 2;
  const textWidth = Math.max(30, width - indent);
  const lines = [`${HEAD.status.padEnd(statusWidth)}  ${HEAD.check.padEnd(checkWidth)}  ${HEAD.message}`];
  for (const result of orderForReading(results)) {
    const text = wrap(result.message, textWidth);
    if (result.fix) text.push(...wrap(`fix: ${result.fix}`, textWidth - 2).map((line, i) => (i === 0 ? line : `  ${line}`)));
    text.forEach((line, i) => {
      const lead = i === 0 ? `${STATUS_LABEL[result.status].padEnd(statusWidth)}  ${result.id.padEnd(checkWidth)}  ` : ' '.repeat(indent);
      lines.push(`${lead}${line}`.trimEnd());
    });
  }
  const s = summarizeResults(results);
  lines.push('');
  lines.push(
    `${results.length} result${results.length === 1 ? '' : 's'}: ${s.pass} passed, ${s.warning} warning${s.warning === 1 ? '' : 's'}, ` +
      `${s.error} error${s.error === 1 ? '' : 's'} — ${s.ok ? 'the task can start' : 'fix the errors, then run ferry precheck again'}`,
  );
  return lines.join('\n');
}

/** The machine-readable report (`ferry precheck --json`). */
export function formatPrecheckJson(results: readonly CheckResult[]): string {
  const { ok, ...counts } = summarizeResults(results);
  return JSON.stringify({ ok, summary: counts, results }, null, 2);
}

const SEVERITY: Record<CheckStatus, number> = { pass: 0, warning: 1, error: 2 };

/** Passes, then warnings, then errors; within each, the order the checks ran. */
export function orderForReading(results: readonly CheckResult[]): CheckResult[] {
  return results
    .map((result, index) => ({ result, index }))
    .sort((a, b) => SEVERITY[a.result.status] - SEVERITY[b.result.status] || a.index - b.index)
    .map((x) => x.result);
}

/** Word wrap that keeps explicit newlines and splits words longer than a line. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      let rest = word;
      while (rest.length > width) {
        if (line) {
          out.push(line);
          line = '';
        }
        out.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  }
  return out;
}
