import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitUntil } from './sql.js';

const FERRY_BIN = fileURLToPath(new URL('../bin/ferry.mjs', import.meta.url));

export interface FerryTask {
  name: string;
  file: string;
  prefix: string;
  slot: string;
  group: string;
  dir: string;
}

export interface TaskSettings {
  name: string;
  dir: string;
  sourceUrl: string;
  destUrl: string;
  brokers: string[];
  registryUrl: string;
  partitions: number;
  chunkRows: number;
}

/** A task file with Ferry's defaults except the topic prefix, partition count and chunk size. */
export function writeTaskFile(settings: TaskSettings): FerryTask {
  mkdirSync(settings.dir, { recursive: true });
  const file = join(settings.dir, `${settings.name}.yaml`);
  const prefix = `ferry.${settings.name}`;
  writeFileSync(
    file,
    `name: ${settings.name}
source: { url: "${settings.sourceUrl}" }
destination: { url: "${settings.destUrl}" }
kafka: { brokers: [${settings.brokers.map((b) => `"${b}"`).join(', ')}], topicPrefix: "${prefix}", partitions: ${settings.partitions} }
schemaRegistry: { url: "${settings.registryUrl}" }
snapshot: { chunkRows: ${settings.chunkRows} }
`,
  );
  const snake = settings.name.replace(/-/g, '_');
  return { name: settings.name, file, prefix, slot: `ferry_${snake}`, group: `ferry-${settings.name}-main`, dir: settings.dir };
}

/** One running `ferry capture` or `ferry sink`: a real process, as in production. */
export class FerryProcess {
  /** Every process started and not yet exited, so a failed run can stop them before cleaning up. */
  static readonly live = new Set<FerryProcess>();
  readonly startedAt = Date.now();
  private peakKb = 0;
  private readonly sampler: NodeJS.Timeout;
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly command: 'capture' | 'sink',
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    FerryProcess.live.add(this);
    void this.exited.then(() => FerryProcess.live.delete(this));
    // VmHWM is the process's own peak; sampling keeps the last value if it dies unexpectedly.
    this.sampler = setInterval(() => this.samplePeak(), 1_000);
    this.sampler.unref();
  }

  static start(task: FerryTask, command: 'capture' | 'sink', label: string, profileDir?: string): FerryProcess {
    const logFile = join(task.dir, `${label}-${command}.log`);
    const log = createWriteStream(logFile);
    // One folder per process: node writes one profile per thread (tsx's loader runs in a worker).
    const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${label}-${command}`)}`] : [];
    const child = spawn(process.execPath, [...nodeFlags, FERRY_BIN, command, '-c', task.file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return new FerryProcess(command, child, logFile);
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...FerryProcess.live].map((p) => p.stop(10_000)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Peak resident set size so far, in MB (the kernel's VmHWM of the process). */
  peakRssMb(): number {
    this.samplePeak();
    return this.peakKb / 1024;
  }

  /** The ISO time of the first log line whose message is `msg`, or undefined. */
  logTime(msg: string): number | undefined {
    if (!existsSync(this.logFile)) return undefined; // the log stream opens asynchronously
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!line.includes(msg)) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; time?: string };
        if (entry.msg === msg && entry.time) return Date.parse(entry.time);
      } catch {
        // a partial line still being written
      }
    }
    return undefined;
  }

  async waitForLog(msg: string, timeoutMs: number): Promise<number> {
    return waitUntil(`"${msg}" in ${this.logFile}`, async () => {
      if (!this.running) throw new Error(`ferry ${this.command} exited with ${this.child.exitCode}; see ${this.logFile}`);
      return this.logTime(msg);
    }, timeoutMs, 100);
  }

  /** SIGTERM (Ferry commits what is complete and exits), SIGKILL after `graceMs`. Returns the peak RSS in MB. */
  async stop(graceMs = 30_000): Promise<number> {
    const peak = this.peakRssMb();
    clearInterval(this.sampler);
    if (this.running) {
      this.child.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    return peak;
  }

  private samplePeak(): void {
    if (!this.running) return;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (match) this.peakKb = Math.max(this.peakKb, Number(match[1]));
    } catch {
      // the process just exited
    }
  }
}

/** Runs a ferry command to completion (e.g. `capture --release`). */
export function runFerry(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [FERRY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
