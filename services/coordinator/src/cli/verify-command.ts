import { verifyTables } from '../verify/verify-tables.js';
import { loadCommand } from './load-command.js';

const HELP = `ferry verify -c task.yaml [--json] [--destination NAME]

Compares every selected table of the source with its copy: row count and a
checksum of every row, computed inside each database. Exit code 0 when all match,
1 otherwise. While sync runs, a table may differ by the changes in flight: run it
again, or after cutover, for a final answer.`;

export async function runVerifyCommand(argv: string[]): Promise<number> {
  const loaded = loadCommand('verify', argv, HELP, { destination: { type: 'string' } });
  if (!loaded) return 0;
  const { args, task } = loaded;
  const name = args.flags.destination as string | undefined;
  const index = name ? task.destinations.findIndex((d) => d.name === name) : 0;
  if (index < 0) throw new Error(`the task has no destination named "${name}"`);
  const results = await verifyTables(task, index);
  const ok = results.every((r) => r.match);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ok, tables: results }, null, 2)}\n`);
  } else {
    const width = Math.max(5, ...results.map((r) => r.table.length));
    process.stdout.write(`${'table'.padEnd(width)}  ${'rows'.padStart(10)}  result\n`);
    for (const r of results) {
      process.stdout.write(`${r.table.padEnd(width)}  ${String(r.source.rows).padStart(10)}  ${r.match ? 'match' : `DIFFERENT: ${r.problem}`}\n`);
    }
    process.stdout.write(`${ok ? 'all tables match' : `${results.filter((r) => !r.match).length} table(s) differ`}\n`);
  }
  return ok ? 0 : 1;
}
