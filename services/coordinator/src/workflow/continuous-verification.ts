import type { TaskConfig } from '@ferry/config';
import type { Logger } from '@ferry/observability';
import type { Kafka } from 'kafkajs';
import type { VerificationSummary } from '../verify/verification-summary.js';
import { verifyDestination, type VerifyOptions } from '../verify/verify-destination.js';
import type { TaskState, TaskStateStore } from './task-state.js';

/** Seconds between continuous verification rounds, or null when it is off. Pure. */
export function continuousIntervalSeconds(verify: TaskConfig['verify']): number | null {
  if (verify.continuous === false) return null;
  return verify.continuous === true ? verify.intervalSeconds : verify.continuous;
}

export interface ContinuousVerificationDeps {
  task: TaskConfig;
  kafka: Kafka;
  store: TaskStateStore;
  log: Logger;
  signal: AbortSignal;
  /** Replaceable in tests. */
  verify?: (task: TaskConfig, options: VerifyOptions) => Promise<VerificationSummary>;
}

/**
 * `verify.continuous`: during incremental sync the coordinator verifies every destination,
 * the first time as soon as sync starts, then `interval` seconds after the previous round
 * ended. Rounds never overlap and never hold up the coordinator's loop. Each result goes
 * into the task state (`verification`, and `verifications` by destination), where
 * `ferry status` and the API read it.
 */
export class ContinuousVerification {
  private running: Promise<void> | null = null;
  private nextAt = 0;
  private readonly intervalSeconds: number | null;

  constructor(private readonly deps: ContinuousVerificationDeps) {
    this.intervalSeconds = continuousIntervalSeconds(deps.task.verify);
  }

  /** Called on every turn of the coordinator's loop; starts a round when one is due. */
  tick(state: TaskState, now = Date.now()): void {
    if (this.intervalSeconds === null || state.phase !== 'incremental' || this.running || now < this.nextAt || this.deps.signal.aborted) return;
    this.running = this.round(state).finally(() => {
      this.running = null;
      this.nextAt = Date.now() + this.intervalSeconds! * 1000;
    });
  }

  /** Waits for a running round (it ends early once the signal is aborted). */
  async stop(): Promise<void> {
    await this.running;
  }

  private async round(state: TaskState): Promise<void> {
    const { task, kafka, store, log, signal } = this.deps;
    const verify = this.deps.verify ?? verifyDestination;
    for (let i = 0; i < task.destinations.length && !signal.aborted; i++) {
      const name = task.destinations[i]!.name;
      try {
        const summary = await verify(task, { trigger: 'continuous', destinationIndex: i, kafka, signal, log });
        if (signal.aborted) return;
        // Another command (a cutover) may have changed the stored state meanwhile: add the
        // result to the newest state instead of writing back this process's copy.
        const latest = await store.load();
        if (latest.phase !== 'incremental') return;
        for (const target of [state, latest]) {
          target.verification = summary;
          target.verifications = { ...target.verifications, [name]: summary };
        }
        await store.save(latest);
        const differing = summary.tables.filter((t) => !t.ok).map((t) => t.table);
        if (summary.ok) log.info({ destination: name, tables: summary.tables.length, seconds: summary.durationSeconds }, 'continuous verification: everything matches');
        else log.warn({ destination: name, differing, schemaOk: summary.schema?.ok, sequencesOk: summary.sequences?.ok }, 'continuous verification found differences');
      } catch (error) {
        log.warn({ err: error, destination: name }, 'continuous verification could not run; trying again next round');
      }
    }
  }
}
