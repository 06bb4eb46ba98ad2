import pg from 'pg';
import { FerryError } from '@ferry/core';
import { ObjectSelection, type PhaseName, type ResolvedDestination, type TaskConfig } from '@ferry/config';
import { clientConfig } from '@ferry/pg';
import type { ConnectTarget, PrecheckContext } from './types.js';

/** Thrown by ctx.source()/ctx.destination() when that server could not be reached: the check is skipped. */
export class ServerUnavailableError extends FerryError {
  constructor(readonly target: ConnectTarget) {
    super('PRECHECK_SERVER_UNAVAILABLE', `not checked: ${describeTarget(target)} could not be reached`, {
      fix: `see ${target.role === 'source' ? 'source-connect' : 'destination-connect'}`,
    });
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface PrecheckContextOptions {
  phases: readonly PhaseName[];
  /** Gives up on a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Upper bound for any one catalog query (default 60 s). */
  statementTimeoutMs?: number;
}

/** A context that owns its connections; the runner closes it when every check is done. */
export interface OwnedPrecheckContext extends PrecheckContext {
  close(): Promise<void>;
}

/**
 * Opens one connection per server URL, on first use, and keeps it for every check:
 * checks run one after the other, so one session per server is enough and the
 * servers see a single short-lived "ferry-precheck" session.
 */
export function createPrecheckContext(task: TaskConfig, options: PrecheckContextOptions): OwnedPrecheckContext {
  const connections = new Map<string, Promise<pg.Client>>();
  const memos = new Map<string, Promise<unknown>>();

  function connect(target: ConnectTarget): Promise<pg.Client> {
    const endpoint = target.role === 'source' ? task.source : target.destination;
    const url = withSslMode(endpoint.url, endpoint.sslmode);
    let pending = connections.get(url);
    if (!pending) {
      pending = openPrecheckClient(url, target, options);
      // Remember the failure too: later checks skip instead of waiting for another timeout.
      pending.catch(() => undefined);
      connections.set(url, pending);
    }
    return pending;
  }

  async function connected(target: ConnectTarget): Promise<pg.Client> {
    try {
      return await connect(target);
    } catch {
      throw new ServerUnavailableError(target);
    }
  }

  return {
    task,
    selection: new ObjectSelection(task.objects),
    phases: options.phases,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    source: () => connected({ role: 'source' }),
    destination: (destination: ResolvedDestination) => connected({ role: 'destination', destination }),
    tryConnect: async (target) => {
      try {
        return { client: await connect(target) };
      } catch (error) {
        return { error };
      }
    },
    memo: <T>(key: string, load: () => Promise<T>): Promise<T> => {
      let pending = memos.get(key) as Promise<T> | undefined;
      if (!pending) {
        pending = load();
        memos.set(key, pending);
      }
      return pending;
    },
    close: async () => {
      const opened = await Promise.allSettled(connections.values());
      connections.clear();
      await Promise.allSettled(opened.map((o) => (o.status === 'fulfilled' ? o.value.end() : Promise.resolve())));
    },
  };
}

async function openPrecheckClient(url: string, target: ConnectTarget, options: PrecheckContextOptions): Promise<pg.Client> {
  const config = clientConfig(url, {
    applicationName: 'ferry-precheck',
    role: target.role,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: options.statementTimeoutMs ?? 60_000,
  });
  // Checks read booleans and numbers: pg's usual parsers, not Ferry's exact-text ones.
  const client = new pg.Client({ ...config, types: undefined });
  // An idle socket error must not crash the process; the next query fails and is reported.
  client.on('error', () => undefined);
  await client.connect();
  try {
    // EXPLAIN of a row filter takes a lock; never queue behind an application's DDL.
    await client.query(`SET lock_timeout = '10s'`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export function describeTarget(target: ConnectTarget): string {
  return target.role === 'source' ? 'the source database' : `destination "${target.destination.name}"`;
}

/** The task's sslmode key, when set, joins the URL (unless the URL names one itself). */
export function withSslMode(url: string, sslmode: string | undefined): string {
  if (!sslmode || /[?&]sslmode=/i.test(url)) return url;
  const hashAt = url.indexOf('#');
  const base = hashAt >= 0 ? url.slice(0, hashAt) : url;
  return `${base}${base.includes('?') ? '&' : '?'}sslmode=${encodeURIComponent(sslmode)}${hashAt >= 0 ? url.slice(hashAt) : ''}`;
}
