import { FerryError } from '@ferry/core';
import type { AvroSchema } from './avro-schema.js';

/**
 * The registry refused a schema because it breaks the subject's compatibility rule
 * (BACKWARD: the new schema must read every older message of the subject).
 */
export class SchemaIncompatibleError extends FerryError {
  constructor(
    readonly subject: string,
    /** One line per incompatible change, naming the field (and column) where it happened. */
    readonly changes: readonly string[],
    options: { cause?: unknown } = {},
  ) {
    super(
      'SCHEMA_INCOMPATIBLE',
      `schema for subject "${subject}" is not compatible with the subject's earlier versions ` +
        `(reader = the new schema, writer = the registered version): ${changes.join('; ')}`,
      {
        retriable: false,
        context: { subject },
        fix:
          'make the change compatible (a new column must be nullable with default null; a type change needs a new ' +
          'column or topic), or, if consumers are prepared, start the table on a new topic',
        ...(options.cause === undefined ? {} : { cause: options.cause }),
      },
    );
  }
}

/**
 * Turns the registry's explanation into lines that name fields. Apicurio answers e.g.
 * "… list of diff types: [reader type: STRING not compatible with writer type: INT at
 * /fields/1/type/1, …]" (reader = the new schema, writer = the version it was checked
 * against); the JSON pointers point into that existing version, so "/fields/1/type/1"
 * becomes `field "qty" (column "Qty") type[1]`.
 */
export function describeIncompatibility(registryMessage: string, existingSchema: AvroSchema): string[] {
  const list = /list of diff types: \[(.*)\]\s*$/s.exec(registryMessage)?.[1];
  if (list === undefined) return [registryMessage];
  // Each diff ends with " at <JSON pointer>"; the text before it may hold commas.
  const lines = [...list.matchAll(/\s*(.+?) at (\/[^\s,]*)(?:,|$)/gs)].map(
    ([, what, pointer]) => `${describePointer(pointer!, existingSchema)}: ${what!.toLowerCase()}`,
  );
  return lines.length > 0 ? [...new Set(lines)] : [registryMessage];
}

/** "/fields/1/type/1" → `field "qty" (column "Qty"), type[1]` */
function describePointer(pointer: string, schema: AvroSchema): string {
  const segments = pointer.split('/').slice(1);
  const parts: string[] = [];
  let node: unknown = schema;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const child = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    if (segment === 'fields' && Array.isArray(child) && i + 1 < segments.length) {
      const field: unknown = child[Number(segments[i + 1])];
      i++;
      node = field;
      if (isObject(field) && typeof field['name'] === 'string') {
        const column = field['pg.name'];
        parts.push(
          typeof column === 'string' && column !== field['name']
            ? `field "${field['name']}" (column "${column}")`
            : `field "${field['name']}"`,
        );
        continue;
      }
    } else if (/^\d+$/.test(segment)) {
      parts.push(`[${segment}]`);
      node = child;
      continue;
    } else {
      parts.push(segment);
    }
    node = child;
  }
  return parts.join(' ').replace(/ \[/g, '[') || 'the schema';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
