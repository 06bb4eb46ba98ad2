import type { Labels } from './registry.js';

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/**
 * Reads the samples of a Prometheus text exposition (what `/metrics` returns): the
 * coordinator reads its services' numbers this way, and tests check them.
 */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    samples.push({ name: match[1]!, labels: parseLabels(match[3] ?? ''), value: parseValue(match[4]!) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `labels`, or null when there is none. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Labels = {}): number | null {
  const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? null : matching.reduce((sum, s) => sum + s.value, 0);
}

function parseLabels(text: string): Labels {
  const labels: Labels = {};
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(pattern)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
