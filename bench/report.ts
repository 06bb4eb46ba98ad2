import type { BacklogResult } from './backlog.js';
import { formatNumber, renderChart, type GoalBar, type ThroughputGroup } from './chart.js';
import type { FullLoadResult } from './full-load.js';
import type { LiveResult } from './live-sync.js';
import type { BenchOptions } from './options.js';
import type { ProfileSummary } from './profile-summary.js';
import { round } from './stats.js';

export interface Machine {
  nproc: number;
  memoryGb: number;
  node: string;
  sourcePg: string;
  destPg: string;
  pgbench: string;
  kafka: string;
  /** The commit measured, and how many files under services/ and packages/ differed from it. */
  commit: string;
  uncommittedFiles: number;
  loadAverageStart: number[];
}

export interface RawResults {
  machine: Machine;
  options: BenchOptions;
  startedAt: string;
  durationS: number;
  fullLoad: FullLoadResult;
  backlog: BacklogResult;
  live: LiveResult;
  rssMb: Record<string, number>;
  loadAverage: Record<string, number>;
  profiles: ProfileSummary[];
}

export const GOALS = {
  fullLoadRatio: 0.5,
  backlogRatio: 1.0,
  liveTpsRatio: 0.9,
  lagP99Ms: 1000,
  rssMb: 512,
};

/** The headline figures (the keys the issue asks for), then every raw figure. */
export function summarize(raw: RawResults) {
  const { fullLoad, backlog, live } = raw;
  const noneTps = live.none.reduce((a, r) => a + r.tps, 0) / live.none.length;
  const maxRss = Math.max(...Object.values(raw.rssMb));
  const kafkaRows = fullLoad.ferry.kafka.snapshot / fullLoad.rows;
  const kafkaChange = backlog.captureAlone.kafka.changes / backlog.changes;
  return {
    full_load_ratio: round(fullLoad.ferry.rowsPerS / fullLoad.native.rowsPerS, 3),
    backlog_ratio: round(backlog.ferry.changesPerS / backlog.native.changesPerS, 3),
    live_tps_ratio: round(live.ferry.max.pgbench.tps / live.native.max.pgbench.tps, 3),
    lag_p99_ms: live.ferry.rate.lag?.p99Ms ?? null,
    lag_p50_ms: live.ferry.rate.lag?.p50Ms ?? null,
    lag_rate_tps: round(live.ferry.rate.pgbench.tps, 1),
    max_rss_mb: maxRss,
    capture_snapshot_rows_per_s: fullLoad.captureAlone.rowsPerS,
    capture_stream_changes_per_s: backlog.captureAlone.changesPerS,
    sink_snapshot_rows_per_s: fullLoad.sinkAlone.rowsPerS,
    sink_backlog_changes_per_s: backlog.sinkAlone.changesPerS,
    ferry_full_load_rows_per_s: fullLoad.ferry.rowsPerS,
    native_full_load_rows_per_s: fullLoad.native.rowsPerS,
    copy_full_load_rows_per_s: fullLoad.copy.rowsPerS,
    ferry_backlog_changes_per_s: backlog.ferry.changesPerS,
    native_backlog_changes_per_s: backlog.native.changesPerS,
    tps_none: round(noneTps, 1),
    tps_native: round(live.native.max.pgbench.tps, 1),
    tps_ferry: round(live.ferry.max.pgbench.tps, 1),
    native_lag_p99_ms: live.native.rate.lag?.p99Ms ?? null,
    kafka_bytes_per_snapshot_row: round(kafkaRows, 1),
    kafka_bytes_per_change: round(kafkaChange, 1),
    native_backlog_cpu_ms_per_1000_changes: perThousand(backlog.native.cpu, backlog.changes),
    ferry_backlog_cpu_ms_per_1000_changes: perThousand(backlog.ferry.cpu, backlog.changes),
    load_average_max: Math.max(...Object.values(raw.loadAverage), ...raw.machine.loadAverageStart),
  };
}

export type Summary = ReturnType<typeof summarize>;

function total(cpu: Record<string, number>): number {
  return Object.values(cpu).reduce((a, b) => a + b, 0);
}

/** CPU milliseconds per 1 000 changes, all roles together. */
function perThousand(cpu: Record<string, number>, changes: number): number {
  return Math.round((total(cpu) * 1000 * 1000) / changes);
}

function cpuLine(cpu: Record<string, number>, changes: number): string {
  const roles = Object.entries(cpu).map(([role, s]) => `${role} ${Math.round((s * 1e6) / changes)}`).join(', ');
  return `${perThousand(cpu, changes)} (${roles})`;
}

function cpuSeconds(cpu: Record<string, number>): string {
  return `${total(cpu).toFixed(1)} s (${Object.entries(cpu).map(([role, s]) => `${role} ${s.toFixed(1)}`).join(', ')})`;
}

export function goalsMet(s: Summary) {
  return {
    full_load: s.full_load_ratio >= GOALS.fullLoadRatio,
    backlog: s.backlog_ratio >= GOALS.backlogRatio,
    live_tps: s.live_tps_ratio >= GOALS.liveTpsRatio,
    lag_p99: s.lag_p99_ms !== null && s.lag_p99_ms < GOALS.lagP99Ms,
    rss: s.max_rss_mb < GOALS.rssMb,
  };
}

/** The table printed at the end and written to latest.txt. */
export function formatTable(s: Summary, raw: RawResults): string {
  const { fullLoad, backlog, live } = raw;
  const met = goalsMet(s);
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const rows: string[][] = [
    ['measure', 'Ferry', 'native', 'baseline', 'Ferry/native', 'goal'],
    ['full load rows/s', n(fullLoad.ferry.rowsPerS), n(fullLoad.native.rowsPerS), `${n(fullLoad.copy.rowsPerS)} (COPY)`, r(s.full_load_ratio), `>= 0.5 ${mark(met.full_load)}`],
    ['full load MB/s', n(fullLoad.ferry.mbPerS), n(fullLoad.native.mbPerS), `${n(fullLoad.copy.mbPerS)} (COPY)`, r(fullLoad.ferry.mbPerS / fullLoad.native.mbPerS), ''],
    ['full load seconds', sec(fullLoad.ferry.ms), sec(fullLoad.native.ms), `${sec(fullLoad.copy.ms)} (COPY)`, '', ''],
    ['backlog apply changes/s', n(backlog.ferry.changesPerS), n(backlog.native.changesPerS), '', r(s.backlog_ratio), `>= 1.0 ${mark(met.backlog)}`],
    ['backlog catch-up seconds', sec(backlog.ferry.ms), sec(backlog.native.ms), '', '', ''],
    ['source TPS, unthrottled', n(live.ferry.max.pgbench.tps), n(live.native.max.pgbench.tps), `${n(s.tps_none)} (none)`, r(s.live_tps_ratio), `>= 0.9 ${mark(met.live_tps)}`],
    ['lag p50 ms, unthrottled', n(live.ferry.max.lag?.p50Ms ?? NaN), n(live.native.max.lag?.p50Ms ?? NaN), '', '', ''],
    ['lag p99 ms, unthrottled', n(live.ferry.max.lag?.p99Ms ?? NaN), n(live.native.max.lag?.p99Ms ?? NaN), '', '', ''],
    [`lag p50 ms at ${raw.options.rate} TPS`, n(live.ferry.rate.lag?.p50Ms ?? NaN), n(live.native.rate.lag?.p50Ms ?? NaN), '', '', ''],
    [`lag p99 ms at ${raw.options.rate} TPS`, n(live.ferry.rate.lag?.p99Ms ?? NaN), n(live.native.rate.lag?.p99Ms ?? NaN), '', '', `< 1000 ${mark(met.lag_p99)}`],
    ['  TPS reached in that run', n(live.ferry.rate.pgbench.tps), n(live.native.rate.pgbench.tps), '', '', ''],
    ['peak RSS MB (max process)', n(s.max_rss_mb), '', '', '', `< 512 ${mark(met.rss)}`],
    ['capture alone: snapshot rows/s', n(s.capture_snapshot_rows_per_s), '', '', '', ''],
    ['capture alone: backlog changes/s', n(s.capture_stream_changes_per_s), '', '', '', ''],
    ['sink alone: snapshot rows/s', n(s.sink_snapshot_rows_per_s), '', '', '', ''],
    ['sink alone: backlog changes/s', n(s.sink_backlog_changes_per_s), '', '', '', ''],
    ['Kafka bytes per snapshot row', n(s.kafka_bytes_per_snapshot_row), '', `${n(fullLoad.copyBytes / fullLoad.rows)} (COPY text)`, '', ''],
    ['Kafka bytes per change', n(s.kafka_bytes_per_change), '', '', '', ''],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  out.push('', 'CPU ms per 1 000 backlog changes, by process:');
  out.push(`  native: ${cpuLine(backlog.native.cpu, backlog.changes)}`);
  out.push(`  Ferry:  ${cpuLine(backlog.ferry.cpu, backlog.changes)}`);
  out.push(`  capture alone: ${cpuLine(backlog.captureAlone.cpu, backlog.changes)}`);
  out.push(`  sink alone: ${cpuLine(backlog.sinkAlone.cpu, backlog.changes)}`);
  out.push('CPU used by replication during the unthrottled live run (pgbench + catch-up):');
  out.push(`  native: ${cpuSeconds(live.native.max.cpu)} for ${live.native.max.pgbench.transactions} transactions`);
  out.push(`  Ferry:  ${cpuSeconds(live.ferry.max.cpu)} for ${live.ferry.max.pgbench.transactions} transactions`);
  out.push(`destination transactions for the backlog's ${backlog.pgbench.transactions} source transactions: native ${backlog.native.destCommits}, Ferry ${backlog.ferry.destCommits}, sink alone ${backlog.sinkAlone.destCommits}`);
  out.push(`catch-up after pgbench stopped (ms): native ${live.native.max.catchUpMs}/${live.native.rate.catchUpMs}, Ferry ${live.ferry.max.catchUpMs}/${live.ferry.rate.catchUpMs} (unthrottled/rate)`);
  out.push(`capture alone, backlog: committed to Kafka after ${sec(backlog.captureAlone.ms)} s, slot confirmed_flush_lsn past it after ${sec(backlog.captureAlone.slotConfirmedMs)} s`);
  out.push('', 'peak RSS per process run (MB): ' + Object.entries(raw.rssMb).map(([k, v]) => `${k} ${v}`).join(', '));
  out.push('1-min load average after each phase: ' + Object.entries(raw.loadAverage).map(([k, v]) => `${k} ${v}`).join(', '));
  return out.join('\n');
}

export function chartFor(s: Summary, raw: RawResults): string {
  const { fullLoad, backlog, live, machine, options } = raw;
  const groups: ThroughputGroup[] = [
    { label: 'Full load', unit: 'rows/s', bars: [{ name: 'Ferry', value: fullLoad.ferry.rowsPerS }, { name: 'native', value: fullLoad.native.rowsPerS }, { name: 'COPY', value: fullLoad.copy.rowsPerS }] },
    { label: 'Backlog apply', unit: 'changes/s', bars: [{ name: 'Ferry', value: backlog.ferry.changesPerS }, { name: 'native', value: backlog.native.changesPerS }] },
    { label: 'Source TPS during sync', unit: 'TPS', bars: [{ name: 'Ferry', value: live.ferry.max.pgbench.tps }, { name: 'native', value: live.native.max.pgbench.tps }, { name: 'none', value: s.tps_none }] },
    { label: `Lag p99 at ${options.rate} TPS`, unit: 'ms, shorter is better', bars: [{ name: 'Ferry', value: live.ferry.rate.lag?.p99Ms ?? NaN }, { name: 'native', value: live.native.rate.lag?.p99Ms ?? NaN }] },
  ];
  const goals: GoalBar[] = [
    { label: 'full load ≥ 0.5× native', share: s.full_load_ratio / GOALS.fullLoadRatio, detail: `${r(s.full_load_ratio)}× native` },
    { label: 'backlog ≥ 1.0× native', share: s.backlog_ratio / GOALS.backlogRatio, detail: `${r(s.backlog_ratio)}× native` },
    { label: 'source TPS ≥ 0.9× native', share: s.live_tps_ratio / GOALS.liveTpsRatio, detail: `${r(s.live_tps_ratio)}× native` },
    { label: 'lag p99 < 1 s', share: s.lag_p99_ms ? GOALS.lagP99Ms / s.lag_p99_ms : 0, detail: `${formatNumber(s.lag_p99_ms ?? NaN)} ms at ${formatNumber(s.lag_rate_tps)} TPS` },
    { label: 'each process < 512 MB', share: GOALS.rssMb / s.max_rss_mb, detail: `largest ${s.max_rss_mb} MB` },
  ];
  const subtitle = `commit ${machine.commit.slice(0, 7)}${machine.uncommittedFiles ? ` (+${machine.uncommittedFiles} changed files)` : ''}; pgbench scale ${options.scale} (${fullLoad.rows.toLocaleString('en-US')} rows), ${options.clients} clients; ${machine.nproc} cores, ${machine.memoryGb} GB; PostgreSQL ${machine.sourcePg} → ${machine.destPg}, Kafka ${machine.kafka}; max load average ${s.load_average_max}; ${raw.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  return renderChart('Ferry vs PostgreSQL native logical replication', subtitle, groups, goals);
}

function n(value: number): string {
  return formatNumber(value);
}

function r(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}

function sec(ms: number): string {
  return (ms / 1000).toFixed(1);
}
