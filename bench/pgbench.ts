import { spawn } from 'node:child_process';

export interface PgbenchResult {
  tps: number;
  transactions: number;
  latencyMs: number | null;
  seconds: number;
}

export interface PgbenchRun {
  seconds: number;
  clients: number;
  threads: number;
  /** Target transactions per second (pgbench -R); unthrottled when absent. */
  rate?: number;
}

/** `pgbench -i` with the given init steps (default: every step, data generated client-side). */
export async function pgbenchInit(url: string, scale: number, steps?: string): Promise<void> {
  await runPgbench(url, ['-i', '-q', '-s', String(scale), ...(steps ? ['-I', steps] : [])]);
}

/** The built-in TPC-B-like script: per transaction 3 updates, 1 select, 1 insert. */
export async function pgbenchRun(url: string, run: PgbenchRun): Promise<PgbenchResult> {
  const args = ['-n', '-c', String(run.clients), '-j', String(run.threads), '-T', String(run.seconds)];
  if (run.rate) args.push('-R', String(run.rate));
  const output = await runPgbench(url, args);
  return parsePgbenchOutput(output, run.seconds);
}

export function parsePgbenchOutput(output: string, seconds: number): PgbenchResult {
  const tps = /^tps = ([\d.]+)/m.exec(output);
  const transactions = /number of transactions actually processed: (\d+)/.exec(output);
  const latency = /latency average = ([\d.]+) ms/.exec(output);
  if (!tps || !transactions) throw new Error(`could not read pgbench's result from:\n${output}`);
  return { tps: Number(tps[1]), transactions: Number(transactions[1]), latencyMs: latency ? Number(latency[1]) : null, seconds };
}

/** Connection settings go through PG* variables so the password is never on a command line. */
function runPgbench(url: string, args: string[]): Promise<string> {
  const parsed = new URL(url);
  const env = {
    ...process.env,
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('pgbench', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) => reject(new Error(`pgbench could not start (${error.message}); install postgresql-client`)));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`pgbench ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}
