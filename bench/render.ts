/**
 * `npx tsx bench/render.ts bench/results/scale-50.json`: writes the .txt table and the .svg
 * chart again from a results file (after a change to the report or the chart).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatProfile } from './profile-summary.js';
import { chartFor, formatTable, summarize, type RawResults } from './report.js';

for (const file of process.argv.slice(2)) {
  const { raw } = JSON.parse(readFileSync(file, 'utf8')) as { raw: RawResults };
  const summary = summarize(raw);
  const profiles = raw.profiles.map(formatProfile).join('\n\n');
  const base = file.replace(/\.json$/, '');
  writeFileSync(`${base}.txt`, `${formatTable(summary, raw)}\n${profiles ? `\nCPU profiles (self time):\n${profiles}\n` : ''}`);
  writeFileSync(`${base}.svg`, chartFor(summary, raw));
  process.stdout.write(`wrote ${base}.txt and ${base}.svg\n`);
}
