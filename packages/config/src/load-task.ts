import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '@ferry/core';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ZodError } from 'zod';
import { taskSchema, type ParsedTask } from './task-schema.js';
import { resolveTask, type TaskConfig } from './resolve-task.js';

export interface LoadTaskOptions {
  /** Values for ${VAR} references; the process environment by default. */
  env?: Record<string, string | undefined>;
  /** Command-line overrides as dotted paths: { 'snapshot.parallelism': '8' }. */
  overrides?: Record<string, string>;
}

/** Reads, substitutes, validates and resolves a task file. Throws ConfigError listing every problem. */
export function loadTaskFile(path: string, options: LoadTaskOptions = {}): TaskConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigError(`task file ${path} ${reason}`, [], {
      fix: 'pass the path of a task file with -c (see docs/task-file.md)',
      cause: error,
    });
  }
  return parseTask(text, { ...options, sourceName: path });
}

export function parseTask(text: string, options: LoadTaskOptions & { sourceName?: string } = {}): TaskConfig {
  const sourceName = options.sourceName ?? 'task file';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = doc.errors.map((error) => {
    const pos = lineCounter.linePos(error.pos[0]);
    return { path: `line ${pos.line}, column ${pos.col}`, message: error.message.split('\n')[0]! };
  });
  if (problems.length > 0) throw invalid(sourceName, problems);

  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(sourceName, [{ path: '(root)', message: 'the task file must be a YAML mapping of keys (name, source, destination, ...)' }]);
  }
  const env = options.env ?? process.env;
  const substituted = substituteEnv(raw, env, '', problems);
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    setPath(substituted as Record<string, unknown>, path, parseOverride(value));
  }
  const result = taskSchema.safeParse(substituted);
  if (!result.success) problems.push(...zodProblems(result.error, doc.contents, lineCounter));
  if (problems.length > 0) throw invalid(sourceName, problems);
  return resolveTask(result.data as ParsedTask);
}

/**
 * The task file as written, with `--set` overrides applied but `${VAR}` references left
 * as they are: for deriving another task file (backflow) without writing secrets to disk.
 */
export function readTaskDocument(path: string, overrides: Record<string, string> = {}): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const raw: unknown = doc.toJS();
  if (doc.errors.length > 0 || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`task file ${path} is not a YAML mapping`, [], { fix: 'load it with ferry precheck to see every problem' });
  }
  for (const [key, value] of Object.entries(overrides)) setPath(raw as Record<string, unknown>, key, parseOverride(value));
  return raw as Record<string, unknown>;
}

function invalid(sourceName: string, problems: ConfigProblem[]): ConfigError {
  const list = problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
  return new ConfigError(`${sourceName} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`, problems, {
    fix: 'correct the keys listed above; every key is described in docs/task-file.md',
  });
}

/** ${VAR} and ${VAR:-default} in any string value. Missing variables are problems, not empty strings. */
function substituteEnv(value: unknown, env: Record<string, string | undefined>, path: string, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_all, name: string, fallback?: string) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: path || '(root)', message: `environment variable ${name} is not set (export it, or write \${${name}:-default})` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, `${path}[${i}]`, problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k, problems)]),
    );
  }
  return value;
}

function parseOverride(value: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (value.startsWith('[') || value.startsWith('{')) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function zodProblems(error: ZodError, root: unknown, lineCounter: LineCounter): ConfigProblem[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const line = lineOf(root, issue.path, lineCounter);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see docs/task-file.md)`;
    } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      message = 'is required';
    }
    return { path: line ? `${path || '(root)'} (line ${line})` : path || '(root)', message };
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** The line of the deepest YAML node that exists on the path, so a person can find it. */
function lineOf(root: unknown, path: readonly PropertyKey[], lineCounter: LineCounter): number | undefined {
  let node = root as Node | null | undefined;
  let found: Node | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      node = pair?.value as Node | undefined;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | undefined;
    } else {
      break;
    }
    if (node?.range) found = node;
  }
  const start = found?.range?.[0] ?? (root as Node | undefined)?.range?.[0];
  return start === undefined ? undefined : lineCounter.linePos(start).line;
}
