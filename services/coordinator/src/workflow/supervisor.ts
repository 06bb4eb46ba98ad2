import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@ferry/observability';

/** The `ferry` entry point: services start as their own processes, never as imports. */
export const FERRY_BIN = fileURLToPath(new URL('../../../../bin/ferry.mjs', import.meta.url));

export interface ServiceSpec {
  name: string;
  /** Arguments after `ferry`, e.g. ['sink', '-c', 'task.yaml', '--destination', 'main']. */
  args: string[];
  /** Extra environment of the child (e.g. the port of its /metrics). */
  env?: Record<string, string>;
}

export interface ServiceStatus {
  name: string;
  running: boolean;
  pid: number | null;
  restarts: number;
  /** How the newest run ended, e.g. "exit code 1" (null while it has not ended yet). */
  lastExit: string | null;
}

/**
 * Runs the services of the embedded mode as child processes and restarts one that
 * dies (a crash, an OOM kill, kill -9), with backoff. Each service resumes from
 * its own durable position, so a restart is always safe.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  private paused = false;
  private readonly specs = new Map<string, ServiceSpec>();
  private readonly lastExit = new Map<string, string>();
  readonly restarts = new Map<string, number>();
  /** Called when a service dies and will be restarted (alerts, the console's error list). */
  onFailure: (name: string, description: string) => void = () => {};

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(spec: ServiceSpec): void {
    this.specs.set(spec.name, spec);
    if (this.paused) return;
    const child = spawn(process.execPath, [FERRY_BIN, ...spec.args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...this.env, ...spec.env, FERRY_SUPERVISED: '1' },
    });
    this.children.set(spec.name, child);
    this.log.info({ service: spec.name, pid: child.pid }, 'started');
    child.once('exit', (code, signal) => {
      this.children.delete(spec.name);
      this.lastExit.set(spec.name, signal ? `signal ${signal}` : `exit code ${code}`);
      if (this.stopping || this.paused) return;
      if (code === 0) {
        this.log.info({ service: spec.name }, 'finished its work');
        return;
      }
      const count = (this.restarts.get(spec.name) ?? 0) + 1;
      this.restarts.set(spec.name, count);
      const delay = Math.min(30_000, 500 * 2 ** Math.min(count, 6));
      this.log.warn({ service: spec.name, code, signal, restartInMs: delay, restarts: count }, 'service stopped; restarting it');
      this.onFailure(spec.name, `${spec.name} stopped (${this.lastExit.get(spec.name)}); restarting it in ${delay} ms (restart ${count})`);
      setTimeout(() => {
        if (!this.stopping && !this.paused && !this.children.has(spec.name)) this.start(spec);
      }, delay).unref();
    });
  }

  pid(name: string): number | undefined {
    return this.children.get(name)?.pid;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Every service started so far, running or not. */
  describe(): ServiceStatus[] {
    return [...this.specs.keys()].map((name) => {
      const child = this.children.get(name);
      return { name, running: child !== undefined, pid: child?.pid ?? null, restarts: this.restarts.get(name) ?? 0, lastExit: this.lastExit.get(name) ?? null };
    });
  }

  /**
   * Stops every service (each finishes what is in flight and keeps its durable position)
   * and starts none until `resume()`: no data moves while paused.
   */
  async pause(graceMs = 15_000): Promise<void> {
    this.paused = true;
    await this.terminate(graceMs);
  }

  /** Starts every service again; each resumes from its own durable position. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const spec of this.specs.values()) if (!this.children.has(spec.name)) this.start(spec);
  }

  /** Asks every service to stop (SIGTERM), then kills what is left after `graceMs`. */
  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    await this.terminate(graceMs);
  }

  private async terminate(graceMs: number): Promise<void> {
    const running = [...this.children.values()];
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
