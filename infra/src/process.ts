/** Running commands, starting detached daemons, and stopping processes by pid. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './log.js';

export { sleep };

/** Run a child as another user (root only). */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  runAs?: RunAs | undefined;
  timeoutMs?: number;
  /** Send stdout and stderr to this file (appending) instead of capturing them. */
  logFile?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. Never throws for a non-zero exit: check `code`. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const logFd = options.logFile !== undefined ? fs.openSync(options.logFile, 'a') : undefined;
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: logFd !== undefined ? ['ignore', logFd, logFd] : ['ignore', 'pipe', 'pipe'],
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    if (logFd !== undefined) fs.closeSync(logFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            stderr += `\n(killed after ${options.timeoutMs} ms)`;
            child.kill('SIGKILL');
          }, options.timeoutMs)
        : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new InfraError(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Like `run`, but throws with the command's output when it fails. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim();
    const tail = output.split('\n').slice(-25).join('\n');
    throw new InfraError(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${result.code})${tail ? `:\n${tail}` : ''}`);
  }
  return result;
}

export interface DaemonOptions {
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  runAs?: RunAs | undefined;
}

/** Starts a long-running process in its own session, output to `logFile` (truncated), and returns its pid. */
export function spawnDaemon(cmd: string, args: readonly string[], options: DaemonOptions): number {
  const logFd = fs.openSync(options.logFile, 'w');
  try {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      detached: true,
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    child.on('error', () => undefined); // reported through the missing pid below
    child.unref();
    if (child.pid === undefined) throw new InfraError(`cannot start ${cmd}`);
    return child.pid;
  } finally {
    fs.closeSync(logFd);
  }
}

/** True if the pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}

/** The command line of a process, arguments joined by spaces ('' if unknown). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** True if `pid` is alive and its command line contains `marker` (guards against recycled pids). */
export function isOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === '' ? process.platform !== 'linux' : cmd.includes(marker);
}

/** Waits until the pid is gone; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * After a detached daemon exits, it is a zombie until its parent (usually PID 1) reaps it.
 * Wait a little for that so `ps` right after `down` shows nothing; a slow reaper is not an error.
 */
export async function waitForReap(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`)) {
    if (Date.now() >= deadline || isAlive(pid)) return false;
    await sleep(50);
  }
  return true;
}

/** SIGTERM, wait up to `timeoutMs`, then SIGKILL. Resolves once the process is gone. */
export async function terminate(pid: number, timeoutMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, signal);
  } catch {
    return 'stopped';
  }
  if (await waitForExit(pid, timeoutMs)) {
    await waitForReap(pid);
    return 'stopped';
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  if (!(await waitForExit(pid, 10_000))) throw new InfraError(`process ${pid} survived SIGKILL`);
  await waitForReap(pid);
  return 'killed';
}

/** Polls `check` until it returns a value (not undefined), the deadline passes, or `failIf` reports a reason. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  failIf?: () => string | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    const failure = failIf?.();
    if (failure !== undefined) throw new InfraError(`${what}: ${failure}`);
    if (Date.now() >= deadline) {
      throw new InfraError(`${what}: not ready after ${Math.round(timeoutMs / 1000)}s${lastError ? ` (last error: ${lastError})` : ''}`);
    }
    await sleep(250);
  }
}

/** Full path of an executable found on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The last lines of a log file, indented, for error messages. */
export function logTail(file: string, lines = 20): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text
      .split('\n')
      .slice(-lines)
      .map((line) => `    ${line}`)
      .join('\n');
  } catch {
    return '    (no log)';
  }
}
