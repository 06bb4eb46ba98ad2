import { createHash } from 'node:crypto';

/**
 * Topic names of a task. Kafka allows [A-Za-z0-9._-] and 249 characters;
 * PostgreSQL names allow anything, so other characters become "_" and a short
 * hash of the original keeps two different tables from sharing a topic.
 */
const LEGAL = /^[A-Za-z0-9_-]+$/;
const MAX_TOPIC = 249;

export function topicPart(name: string): string {
  if (LEGAL.test(name)) return name;
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '_');
  const hash = createHash('sha1').update(name, 'utf8').digest('hex').slice(0, 8);
  return `${cleaned}_${hash}`;
}

function join(...parts: string[]): string {
  const topic = parts.join('.');
  if (topic.length <= MAX_TOPIC) return topic;
  const hash = createHash('sha1').update(topic, 'utf8').digest('hex').slice(0, 12);
  return `${topic.slice(0, MAX_TOPIC - 13)}_${hash}`;
}

export interface TopicNames {
  /** Per-row change events of one table, keyed by its primary key. */
  table(schema: string, table: string): string;
  /** Snapshot chunks of one table: many rows per message. */
  snapshot(schema: string, table: string): string;
  transactions: string;
  heartbeat: string;
  ddl: string;
  /** Compacted: capture's resume position. */
  offsets: string;
  /** Compacted: the task's state, event-sourced. */
  task: string;
}

export function topicNames(prefix: string): TopicNames {
  return {
    table: (schema, table) => join(prefix, topicPart(schema), topicPart(table)),
    snapshot: (schema, table) => join(prefix, 'snapshot', topicPart(schema), topicPart(table)),
    transactions: join(prefix, '_transactions'),
    heartbeat: join(prefix, '_heartbeat'),
    ddl: join(prefix, '_ddl'),
    offsets: join(prefix, '_offsets'),
    task: join(prefix, '_task'),
  };
}
