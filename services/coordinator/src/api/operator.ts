import type { TaskConfig } from '@ferry/config';
import { toError } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import type { Kafka } from 'kafkajs';
import { AlertMonitor } from '../alerts/alert-monitor.js';
import { effectiveLagSeconds, readinessProblem, type DestinationLag } from '../cutover/check-ready.js';
import type { CutoverOptions } from '../cutover/cutover-options.js';
import { CUTOVER_STEPS, runCutover, type StepOutcome } from '../cutover/run-cutover.js';
import { runPrechecks } from '../prechecks/run-prechecks.js';
import { redactSecrets, secretsOfTask } from '../prechecks/redact.js';
import { summarizeResults } from '../prechecks/report.js';
import type { CheckResult } from '../prechecks/types.js';
import { verifyDestination } from '../verify/verify-destination.js';
import { readProgress, type PipelineProgress } from '../workflow/progress.js';
import type { ServiceStatus, Supervisor } from '../workflow/supervisor.js';
import type { TaskState, TaskStateStore } from '../workflow/task-state.js';
import { LiveStatus } from './live-status.js';
import { readServiceTotals, type ServiceEndpoint } from './service-metrics-reader.js';


export interface RecentEvent {
  at: string;
  level: 'error' | 'warning' | 'info';
  source: string;
  message: string;
}

export interface OperatorDeps {
  task: TaskConfig;
  configPath: string;
  overrides: Record<string, string>;
  kafka: Kafka;
  store: TaskStateStore;
  /** The state object `ferry migrate` works on; actions update it in place. */
  state: TaskState;
  /** Present when this process runs the services (`ferry migrate`), absent for `ferry coordinator`. */
  supervisor: Supervisor | undefined;
  /** The services' /metrics, for throughput. */
  endpoints: ServiceEndpoint[];
  log: Logger;
}


export interface CutoverRun {
  startedAt: string;
  finishedAt: string | null;
  options: CutoverOptions;
  steps: { name: string; status: 'waiting' | 'running' | 'done' | 'failed'; detail: string | null }[];
  error: string | null;
  ok: boolean | null;
}

/** An operator action the API refuses, with the HTTP status to answer. */
export class ActionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATE_REFRESH_MS = 15_000;

/**
 * What the console and the API act on: the live numbers of the running migration,
 * its alerts and recent errors, and the operator's actions (pause, resume, verify,
 * prechecks, cutover), each through the same code as the matching `ferry` command.
 */
export class Operator {
  readonly live = new LiveStatus();
  readonly alerts: AlertMonitor;
  readonly events: RecentEvent[] = [];
  prechecks: { at: string; running: boolean; ok: boolean | null; results: CheckResult[] } | null = null;
  verifying = false;
  cutover: CutoverRun | null = null;
  /** The state as last read from Kafka: shows what other commands (`ferry cutover`, `ferry verify`) recorded. */
  private observed: TaskState | null = null;
  private lastRefresh = 0;
  private refreshing = false;
  private cutoverAbort: AbortController | null = null;
  private readonly secrets: string[];

  constructor(private readonly deps: OperatorDeps) {
    this.alerts = new AlertMonitor(deps.task, deps.log);
    this.alerts.seenVerification(deps.state.verification);
    this.secrets = secretsOfTask(deps.task);
    if (deps.supervisor) {
      deps.supervisor.onFailure = (name, message) => {
        this.event('error', name, message);
        this.alerts.serviceFailed(message);
      };
    }
  }

  get task(): TaskConfig {
    return this.deps.task;
  }

  get embedded(): boolean {
    return this.deps.supervisor !== undefined;
  }

  /** The supervised services (none for `ferry coordinator`). */
  services(): ServiceStatus[] {
    return this.deps.supervisor?.describe() ?? [];
  }

  /** The newest of the state this process holds and the one last read from Kafka. */
  state(): TaskState {
    const own = this.deps.state;
    return this.observed && this.observed.updatedAt > own.updatedAt ? this.observed : own;
  }

  /** Called by the watch loop once a second with fresh progress (or the error reading it). */
  async tick(progress: PipelineProgress | undefined, problem?: unknown): Promise<void> {
    if (problem !== undefined) this.event('warning', 'coordinator', `cannot read progress: ${toError(problem).message}`, true);
    if (progress) {
      const totals = this.deps.endpoints.length > 0 ? await readServiceTotals(this.deps.endpoints) : null;
      this.live.update(progress, totals);
    }
    if (!this.refreshing && Date.now() - this.lastRefresh > STATE_REFRESH_MS) {
      // In the background: reading the state topic takes a moment, the loop must not wait;
      // one read at a time.
      this.refreshing = true;
      void this.deps.store
        .load()
        .then(
          (stored) => (this.observed = stored),
          () => undefined,
        )
        .finally(() => {
          this.refreshing = false;
          this.lastRefresh = Date.now();
        });
    }
    const state = this.state();
    this.alerts.check({
      phase: state.phase,
      lagSeconds: progress ? effectiveLagSeconds(progress) : null,
      retainedWalBytes: progress?.slot.retainedBytes ?? null,
      verification: state.verification,
    });
  }

  /** Adds to the console's list of recent errors; `dedupe` skips a repeat of the newest message. */
  event(level: RecentEvent['level'], source: string, message: string, dedupe = false): void {
    const clean = redactSecrets(message, this.secrets);
    if (dedupe && this.events[0]?.message === clean && this.events[0].source === source) return;
    this.events.unshift({ at: new Date().toISOString(), level, source, message: clean });
    this.events.length = Math.min(this.events.length, 50);
  }

  async pause(by: string): Promise<void> {
    const supervisor = this.requireSupervisor('pause');
    if (supervisor.isPaused) return;
    this.deps.log.warn({ by }, 'pausing: stopping capture and sinks');
    await supervisor.pause();
    await this.recordPaused({ at: new Date().toISOString(), by });
    this.event('info', 'operator', `paused by ${by}: capture and sinks stopped, no data moves`);
  }

  async resume(by: string): Promise<void> {
    const supervisor = this.requireSupervisor('resume');
    this.deps.log.info({ by }, 'resuming: starting capture and sinks');
    supervisor.resume();
    await this.recordPaused(null);
    this.event('info', 'operator', `resumed by ${by}: capture and sinks started`);
  }

  /** Starts a verification of one destination in the background; its result lands in the task state. */
  startVerification(destination: string | undefined): void {
    const index = destination === undefined ? 0 : this.task.destinations.findIndex((d) => d.name === destination);
    if (index < 0) throw new ActionError(400, `the task has no destination named "${destination}"`);
    if (this.verifying) throw new ActionError(409, 'a verification is running already');
    this.verifying = true;
    void (async () => {
      try {
        const summary = await verifyDestination(this.task, { trigger: 'manual', destinationIndex: index, kafka: this.deps.kafka, log: this.deps.log });
        await this.updateState((s) => {
          s.verification = summary;
          s.verifications = { ...s.verifications, [summary.destination]: summary };
        });
        this.event(summary.ok ? 'info' : 'warning', 'verify', summary.ok ? 'verification: every table matches' : `verification: ${summary.tables.filter((t) => !t.ok).length} table(s) differ`);
      } catch (error) {
        this.event('error', 'verify', `verification failed: ${toError(error).message}`);
      } finally {
        this.verifying = false;
      }
    })();
  }

  /** Runs every precheck again (the same checks `ferry precheck` runs). */
  startPrechecks(): void {
    if (this.prechecks?.running) throw new ActionError(409, 'the prechecks are running already');
    this.prechecks = { at: new Date().toISOString(), running: true, ok: this.prechecks?.ok ?? null, results: this.prechecks?.results ?? [] };
    void runPrechecks(this.task).then(
      (outcome) => this.recordPrechecks(outcome.results),
      (error: unknown) => {
        this.prechecks = { at: new Date().toISOString(), running: false, ok: null, results: this.prechecks?.results ?? [] };
        this.event('error', 'precheck', `prechecks failed to run: ${toError(error).message}`);
      },
    );
  }

  recordPrechecks(results: CheckResult[]): void {
    this.prechecks = { at: new Date().toISOString(), running: false, ok: summarizeResults(results).ok, results };
  }

  /**
   * Why a cutover would be refused now (phase and the lag of every destination), as
   * `ferry cutover` step 1 decides it. The first destination's lag is the live one; the
   * others are read now. `lagSeconds` is the largest.
   */
  async readiness(maxLagSeconds: number): Promise<{ ready: boolean; problem: string | null; lagSeconds: number | null }> {
    const lags: DestinationLag[] = [{ destination: this.task.destinations[0]!.name, seconds: this.live.lag?.seconds ?? null }];
    let unreadable: string | null = null;
    for (const [index, destination] of this.task.destinations.entries()) {
      if (index === 0) continue;
      try {
        lags.push({ destination: destination.name, seconds: effectiveLagSeconds(await readProgress(this.task, index)) });
      } catch (error) {
        unreadable ??= `cannot read the lag of destination "${destination.name}": ${redactSecrets(toError(error).message, this.secrets)}`;
      }
    }
    const known = lags.map((l) => l.seconds).filter((s): s is number => s !== null);
    const lagSeconds = known.length === lags.length && known.length > 0 ? Math.max(...known) : null;
    const running = this.cutover && this.cutover.finishedAt === null ? 'a cutover is running' : null;
    const problem = running ?? readinessProblem(this.state(), lags, maxLagSeconds) ?? unreadable;
    return { ready: problem === null, problem, lagSeconds };
  }

  /** Runs `ferry cutover` in this process, step by step; the console follows `cutover.steps`. */
  startCutover(options: CutoverOptions, by: string): void {
    if (this.cutover && this.cutover.finishedAt === null) throw new ActionError(409, 'a cutover is running already');
    if (this.embedded && this.deps.supervisor!.isPaused) throw new ActionError(409, 'the task is paused: resume it first, the cutover needs the sinks to drain');
    const run: CutoverRun = {
      startedAt: new Date().toISOString(),
      finishedAt: null,
      options,
      steps: CUTOVER_STEPS.map((name) => ({ name, status: 'waiting', detail: null })),
      error: null,
      ok: null,
    };
    run.steps[0]!.status = 'running';
    this.cutover = run;
    this.cutoverAbort = new AbortController();
    this.event('info', 'operator', `cutover started by ${by} (fence ${options.fence.kind})`);
    this.deps.log.warn({ by, fence: options.fence.kind, maxLagSeconds: options.maxLagSeconds }, 'cutover requested through the API');
    const onStep = (outcome: StepOutcome) => {
      const step = run.steps[outcome.index]!;
      step.status = outcome.failed ? 'failed' : 'done';
      step.detail = redactSecrets(outcome.failed ? outcome.detail : `${outcome.detail} (${outcome.seconds!.toFixed(1)} s)`, this.secrets);
      const next = run.steps[outcome.index + 1];
      if (!outcome.failed && next) next.status = 'running';
    };
    const { task, configPath, overrides, kafka, store, log } = this.deps;
    void runCutover({ task, configPath, overrides, kafka, store, log, onStep, signal: this.cutoverAbort.signal }, options).then(
      () => {
        run.ok = true;
        this.event('info', 'cutover', 'cutover done: point the applications at the destination');
      },
      (error: unknown) => {
        run.ok = false;
        run.error = redactSecrets(toError(error).message, this.secrets);
        for (const step of run.steps) if (step.status === 'running') step.status = 'failed';
        this.event('error', 'cutover', run.error);
      },
    ).finally(async () => {
      run.finishedAt = new Date().toISOString();
      await this.adoptStoredState().catch((error: unknown) => log.warn({ err: error }, 'cannot read the task state after the cutover'));
    });
  }

  /** Stops a running cutover: it lifts the fence and restores the source (as Ctrl-C on `ferry cutover`). */
  stopCutover(): void {
    if (!this.cutover || this.cutover.finishedAt !== null || !this.cutoverAbort) throw new ActionError(409, 'no cutover is running');
    this.cutoverAbort.abort();
  }

  /** Waits for alert deliveries in flight (on shutdown). */
  async close(): Promise<void> {
    this.cutoverAbort?.abort();
    await this.alerts.flush();
  }

  private requireSupervisor(action: string): Supervisor {
    if (!this.deps.supervisor) {
      throw new ActionError(409, `this coordinator does not run the services (ferry coordinator): ${action} them where they run`);
    }
    return this.deps.supervisor;
  }

  private async recordPaused(paused: TaskState['paused']): Promise<void> {
    await this.updateState((s) => (s.paused = paused));
  }

  /** Reads the stored state, changes it and saves it, then brings this process's copy up to date. */
  private async updateState(change: (state: TaskState) => void): Promise<void> {
    const stored = await this.deps.store.load();
    change(stored);
    change(this.deps.state as TaskState);
    await this.deps.store.save(stored);
    this.deps.state.updatedAt = stored.updatedAt;
    this.observed = stored;
  }

  /** After a cutover in this process: its phase and record become this process's too. */
  private async adoptStoredState(): Promise<void> {
    const stored = await this.deps.store.load();
    const own = this.deps.state;
    own.phase = stored.phase;
    own.history = stored.history;
    own.cutover = stored.cutover;
    own.updatedAt = stored.updatedAt;
    this.observed = stored;
  }
}
