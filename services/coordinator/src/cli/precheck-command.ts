import { formatPrecheckJson, formatPrecheckReport } from '../prechecks/report.js';
import { runPrechecks } from '../prechecks/run-prechecks.js';
import { loadCommand } from './load-command.js';

const HELP = `ferry precheck -c task.yaml [--json]

Runs every check the task's phases need (connections, versions, wal_level, slots
and senders, privileges, keys, conflicting tables, extensions, long transactions,
space, selection) and prints each result with its fix. Exit code 1 on any error.`;

export async function runPrecheckCommand(argv: string[]): Promise<number> {
  const loaded = loadCommand('precheck', argv, HELP);
  if (!loaded) return 0;
  const { args, task } = loaded;
  const outcome = await runPrechecks(task);
  process.stdout.write(args.json ? `${formatPrecheckJson(outcome.results)}\n` : `${formatPrecheckReport(outcome.results)}\n`);
  return outcome.ok ? 0 : 1;
}
