import { createHash } from 'node:crypto';

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Legal in Avro but unsafe as a JavaScript property of a record: `__proto__` (avsc's
 * generated record code would set the prototype instead of a field) and the other
 * Object.prototype names, which a record that lacks the field would still "have"
 * (`record.constructor` is a function).
 */
const UNUSABLE_IN_JAVASCRIPT = new Set(Object.getOwnPropertyNames(Object.prototype));

/** True when `name` is a legal Avro name (one segment, no dots) that avsc can carry. */
export function isValidAvroName(name: string): boolean {
  return VALID_NAME.test(name) && !UNUSABLE_IN_JAVASCRIPT.has(name);
}

/**
 * A legal Avro name for any PostgreSQL identifier. A name that is already legal stays as
 * it is; any other name is cleaned up and gets a short hash of the original appended.
 *
 * Why the hash: the Avro name of a column must not depend on which other columns exist.
 * If "a b" became plain "a_b", adding a column really named "a_b" later would have to
 * rename one of them, and a new reader would then read the old "a b" values as "a_b".
 * With the hash, "a b" is "a_b_<hash>" in every version of the table.
 */
export function sanitizeAvroName(name: string): string {
  if (isValidAvroName(name)) return name;
  let cleaned = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(cleaned)) cleaned = `_${cleaned}`;
  return `${cleaned}_${shortHash(name)}`;
}

/**
 * Avro field names for a list of column names, in the same order. Each name is
 * `sanitizeAvroName(original)`; in the (astronomically unlikely) case that a cleaned name
 * equals another column's name, the later one gets `_2`, `_3`, … appended.
 */
export function avroFieldNames(columnNames: readonly string[]): string[] {
  const taken = new Set<string>();
  // Names that are already legal are claimed first, so they never move.
  for (const name of columnNames) {
    if (isValidAvroName(name)) taken.add(name);
  }
  return columnNames.map((name) => {
    if (isValidAvroName(name)) return name;
    const base = sanitizeAvroName(name);
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    return candidate;
  });
}

/**
 * A legal Avro namespace (dot-separated names) for a Kafka topic or any dotted path.
 * Namespaces only need to be stable for one topic, so each segment is cleaned without a
 * hash: "ferry-prod.public.Order Items" → "ferry_prod.public.Order_Items".
 */
export function avroNamespace(path: string): string {
  return path
    .split('.')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      const cleaned = segment.replace(/[^A-Za-z0-9_]/g, '_');
      return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
    })
    .join('.');
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}
