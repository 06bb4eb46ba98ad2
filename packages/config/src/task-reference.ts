import { z } from 'zod';
import { taskSchema } from './task-schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

/** The task file reference (docs/task-file.md), generated from the one schema so it cannot drift. */
export function renderTaskReference(): string {
  const schema = z.toJSONSchema(taskSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: string[] = [];
  walk(schema, '', new Set(schema.required ?? []), rows);
  return [
    '# Task file reference',
    '',
    'Generated from `packages/config/src/task-schema.ts` by `npm run docs:task-file`; do not edit by hand.',
    'Unknown keys are errors. Any string may contain `${VAR}` or `${VAR:-default}`, replaced from the',
    'environment when the file is read (keep passwords out of the file this way). Any key can be',
    'overridden on the command line with `--set path=value`.',
    '',
    '| key | type | required | default | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function walk(node: JsonSchema, path: string, required: Set<string>, rows: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    const real = unwrap(child);
    rows.push(
      `| \`${childPath}\` | ${typeOf(real)} | ${required.has(key) && child.default === undefined ? 'yes' : ''} | ${
        child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``
      } | ${(child.description ?? real.description ?? '').replace(/\|/g, '\\|')} |`,
    );
    if (real.properties) walk(real, childPath, new Set(real.required ?? []), rows);
    if (real.items?.properties) walk(real.items, `${childPath}[]`, new Set(real.items.required ?? []), rows);
    // A map whose values are objects (e.g. objects.transform): document the value's keys under <key>.
    const value = typeof real.additionalProperties === 'object' ? unwrap(real.additionalProperties) : undefined;
    if (value?.properties) walk(value, `${childPath}.<key>`, new Set(value.required ?? []), rows);
  }
}

function unwrap(node: JsonSchema): JsonSchema {
  const members = node.anyOf?.filter((n) => n.type !== 'null') ?? [];
  // A real union (e.g. boolean or integer) stays whole, so its type reads "boolean or integer".
  if (members.length > 1) return node;
  return members[0] ?? node;
}

function typeOf(node: JsonSchema): string {
  if (node.anyOf) return node.anyOf.filter((n) => n.type !== 'null').map((n) => typeOf(unwrap(n))).join(' or ');
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(unwrap(node.items)) : 'values'}`;
  if (node.type === 'object' && !node.properties && typeof node.additionalProperties === 'object') {
    return `map of ${typeOf(unwrap(node.additionalProperties))}`;
  }
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
}
