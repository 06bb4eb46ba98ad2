import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  top: HotFunction[];
  /** Ferry's own functions (services/, packages/) by total time: self plus everything they call. */
  ferryInclusive: HotFunction[];
  /** Busy time per code area: a package under node_modules, a Ferry package, node internals, GC. */
  byArea: { area: string; ms: number; share: number }[];
}

/** Self time per function of a `node --cpu-prof` profile, busiest first. */
export function summarizeProfile(path: string, topN = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const top = [...functions.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.us / 1000), share: round3(f.us / busyUs) }));
  const ferryInclusive = inclusiveTimes(profile, selfUs)
    .filter((f) => /^(services|packages)\//.test(f.where))
    .slice(0, topN)
    .map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.us / 1000), share: round3(f.us / busyUs) }));
  const byArea = [...areas]
    .sort((a, b) => b[1] - a[1])
    .map(([area, us]) => ({ area, ms: Math.round(us / 1000), share: round3(us / busyUs) }));
  return { file: basename(path), busyMs: Math.round(busyUs / 1000), idleMs: Math.round(idleUs / 1000), top, ferryInclusive, byArea };
}

/** Total time per function: each sample counts once for every distinct function on its stack. */
function inclusiveTimes(profile: CpuProfile, selfUs: Map<number, number>): { name: string; where: string; us: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  const onStack = new Map<string, number>();
  const visit = (id: number): void => {
    const node = byId.get(id)!;
    const frame = node.callFrame;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    if (!totals.has(key)) totals.set(key, { name: frame.functionName || '(anonymous)', where, us: 0 });
    const self = frame.functionName === '(idle)' ? 0 : (selfUs.get(id) ?? 0);
    if (self > 0) for (const [k, n] of onStack) if (n > 0) totals.get(k)!.us += self;
    for (const child of node.children ?? []) visit(child);
    onStack.set(key, onStack.get(key)! - 1);
  };
  visit(profile.nodes[0]!.id);
  return [...totals.values()].sort((a, b) => b.us - a.us);
}

/**
 * For each process folder under `dir` (see FerryProcess.start), the summary of its main
 * thread: the profile with the most busy time (the other thread only loads modules).
 */
export function summarizeProfileDir(dir: string, topN = 20): ProfileSummary[] {
  const out: ProfileSummary[] = [];
  for (const folder of readdirSync(dir).sort()) {
    const files = readdirSync(join(dir, folder)).filter((f) => f.endsWith('.cpuprofile'));
    const summaries = files.map((f) => summarizeProfile(join(dir, folder, f), topN));
    const main = summaries.sort((a, b) => b.busyMs - a.busyMs)[0];
    if (main) out.push({ ...main, file: folder });
  }
  return out;
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [`${summary.file}: busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s`];
  lines.push('  by area: ' + summary.byArea.slice(0, 8).map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(', '));
  lines.push('  self time:');
  for (const f of summary.top) lines.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}  ${f.where}`);
  lines.push('  Ferry functions, total time (self + callees):');
  for (const f of summary.ferryInclusive) lines.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}  ${f.where}`);
  return lines.join('\n');
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  const repo = path.indexOf('/services/') >= 0 ? path.indexOf('/services/') : path.indexOf('/packages/');
  return repo >= 0 ? path.slice(repo + 1) : path;
}

function areaOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const path = frame.url.replace(/^file:\/\//, '');
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (modules) return modules[1]!;
  const ferry = /\/(services|packages)\/([^/]+)\//.exec(path);
  if (ferry) return `${ferry[1]}/${ferry[2]}`;
  if (path.startsWith('node:')) return 'node internals';
  return path;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// `npx tsx bench/profile-summary.ts <file.cpuprofile | profiles dir>...` prints the summaries.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of process.argv.slice(2)) {
    const summaries = path.endsWith('.cpuprofile') ? [summarizeProfile(path)] : summarizeProfileDir(path);
    for (const summary of summaries) process.stdout.write(`${formatProfile(summary)}\n\n`);
  }
}
