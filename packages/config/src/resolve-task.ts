import type { PhaseName, ParsedTask } from './task-schema.js';

export interface ResolvedDestination {
  name: string;
  url: string;
  sslmode?: string | undefined;
}

/**
 * The task with every default derived: names of the slot, publication, topics
 * and consumer groups. Services receive this, never the raw file.
 */
export interface TaskConfig extends Omit<ParsedTask, 'destination' | 'destinations' | 'source' | 'kafka'> {
  source: ParsedTask['source'] & { slot: string; publication: string };
  destinations: ResolvedDestination[];
  kafka: ParsedTask['kafka'] & { topicPrefix: string; clientId: string };
  phases: PhaseName[];
}

export function resolveTask(task: ParsedTask): TaskConfig {
  const snake = task.name.replace(/-/g, '_');
  const list = task.destinations ?? (task.destination ? [task.destination] : []);
  const destinations = list.map((d, i) => ({
    name: d.name ?? (list.length === 1 ? 'main' : `dest${i + 1}`),
    url: withSslMode(d.url, d.sslmode),
    sslmode: d.sslmode,
  }));
  const { destination: _d, destinations: _ds, ...rest } = task;
  return {
    ...rest,
    source: {
      ...task.source,
      url: withSslMode(task.source.url, task.source.sslmode),
      slot: task.source.slot ?? `ferry_${snake}`,
      publication: task.source.publication ?? `ferry_${snake}`,
    },
    destinations,
    schemaRegistry: { ...task.schemaRegistry, url: registryUrl(task.schemaRegistry) },
    kafka: {
      ...task.kafka,
      topicPrefix: task.kafka.topicPrefix ?? `ferry.${task.name}`,
      clientId: task.kafka.clientId ?? `ferry-${task.name}`,
    },
  };
}

/** The registry client takes basic-auth credentials inside its URL. */
function registryUrl(registry: ParsedTask['schemaRegistry']): string {
  if (!registry.username) return registry.url;
  const url = new URL(registry.url);
  url.username = encodeURIComponent(registry.username);
  url.password = encodeURIComponent(registry.password ?? '');
  return url.toString();
}

/** `sslmode` from the task file goes into the URL, where every client reads it. */
function withSslMode(url: string, sslmode: string | undefined): string {
  if (!sslmode) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('sslmode', sslmode);
  return parsed.toString();
}
