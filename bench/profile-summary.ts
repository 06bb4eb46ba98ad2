import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
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
  const byArea = [...areas]
    .sort((a, b) => b[1] - a[1])
    .map(([area, us]) => ({ area, ms: Math.round(us / 1000), share: round3(us / busyUs) }));
  return { file: basename(path), busyMs: Math.round(busyUs / 1000), idleMs: Math.round(idleUs / 1000), top, byArea };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [`${summary.file}: busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s`];
  lines.push('  by area: ' + summary.byArea.slice(0, 8).map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(', '));
  for (const f of summary.top) lines.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}  ${f.where}`);
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

// `npx tsx bench/profile-summary.ts file.cpuprofile...` prints the summaries.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) process.stdout.write(`${formatProfile(summarizeProfile(file))}\n\n`);
}
