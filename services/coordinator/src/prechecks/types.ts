import type pg from 'pg';
import type { ObjectSelection, PhaseName, ResolvedDestination, TaskConfig } from '@ferry/config';

export type CheckStatus = 'pass' | 'warning' | 'error';

/** One finding of one check. A check may report several (one per destination, or pass + warnings). */
export interface CheckResult {
  /** The id of the check that found it, e.g. "source-wal-level". */
  id: string;
  status: CheckStatus;
  /** What was found, naming the exact objects (tables, roles, settings, numbers). */
  message: string;
  /** Precisely what to run or change; absent on a pass. */
  fix?: string;
  /** The objects concerned ("public.orders", "pid 4711"), for tools reading the JSON report. */
  objects?: string[];
}

export interface Precheck {
  id: string;
  /** A short human title, e.g. "wal_level on the source". */
  title: string;
  /** The phases this check matters for; it runs when the task runs any of them. */
  appliesTo: readonly PhaseName[];
  run(ctx: PrecheckContext): Promise<CheckResult[]>;
}

/** What every check receives: the task, its selection, and connections opened on first use. */
export interface PrecheckContext {
  task: TaskConfig;
  selection: ObjectSelection;
  /** The phases being checked (the task's own unless the caller narrowed them). */
  phases: readonly PhaseName[];
  /** How long one connection attempt may take, for messages about timeouts. */
  connectTimeoutMs: number;
  /** The source connection; throws ServerUnavailableError when it cannot be opened. */
  source(): Promise<pg.Client>;
  /** One destination's connection; throws ServerUnavailableError when it cannot be opened. */
  destination(destination: ResolvedDestination): Promise<pg.Client>;
  /**
   * Opens (or returns) a connection and hands back the raw connect error instead of
   * throwing: the connect checks explain it, every other check just skips.
   */
  tryConnect(target: ConnectTarget): Promise<{ client: pg.Client } | { error: unknown }>;
  /** Loads a shared catalog inventory once per run (selected tables, extensions...). */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export type ConnectTarget = { role: 'source' } | { role: 'destination'; destination: ResolvedDestination };
