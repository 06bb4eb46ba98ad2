import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@ferry/observability';

/** The `ferry` entry point: services start as their own processes, never as imports. */
export const FERRY_BIN = fileURLToPath(new URL('../../../../bin/ferry.mjs', import.meta.url));

export interface ServiceSpec {
  name: string;
  /** Arguments after `ferry`, e.g. ['sink', '-c', 'task.yaml', '--destination', 'main']. */
  args: string[];
}

/**
 * Runs the services of the embedded mode as child processes and restarts one that
 * dies (a crash, an OOM kill, kill -9), with backoff. Each service resumes from
 * its own durable position, so a restart is always safe.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  readonly restarts = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(spec: ServiceSpec): void {
    const child = spawn(process.execPath, [FERRY_BIN, ...spec.args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...this.env, FERRY_SUPERVISED: '1' },
    });
    this.children.set(spec.name, child);
    this.log.info({ service: spec.name, pid: child.pid }, 'started');
    child.once('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      if (code === 0) {
        this.log.info({ service: spec.name }, 'finished its work');
        return;
      }
      const count = (this.restarts.get(spec.name) ?? 0) + 1;
      this.restarts.set(spec.name, count);
      const delay = Math.min(30_000, 500 * 2 ** Math.min(count, 6));
      this.log.warn({ service: spec.name, code, signal, restartInMs: delay, restarts: count }, 'service stopped; restarting it');
      setTimeout(() => {
        if (!this.stopping) this.start(spec);
      }, delay).unref();
    });
  }

  pid(name: string): number | undefined {
    return this.children.get(name)?.pid;
  }

  /** Asks every service to stop (SIGTERM), then kills what is left after `graceMs`. */
  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
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
