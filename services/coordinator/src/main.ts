// The `ferry` command line: every command except the services run alone (capture, sink).
import { COMMON_HELP, parseCommonArgs, renderTaskReference } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { createRootLogger } from '@ferry/observability';
import { runCutoverCommand } from './cli/cutover-command.js';
import { runMigrate } from './cli/migrate-command.js';
import { runPrecheckCommand } from './cli/precheck-command.js';
import { runResetCommand } from './cli/reset-command.js';
import { runStatusCommand } from './cli/status-command.js';
import { runVerifyCommand } from './cli/verify-command.js';

const USAGE = `ferry — move a live PostgreSQL database to another PostgreSQL server through Kafka

Usage: ferry <command> -c task.yaml [options]

Commands:
  precheck      run every check, with a fix for each failure (exit 1 on an error)
  migrate       schema, full copy, then continuous sync; resumable; shows progress
  status        phase, per-table progress, lag and errors of a task (another terminal)
  verify        row counts and checksums of every table, source vs destination
  cutover       fence writes, drain, sync sequences, final verify, optional backflow
  reset         start a task over: drop its slot, topics, bookkeeping and destination tables (--yes)
  capture       run the capture service alone (snapshot + WAL streaming into Kafka)
  sink          run one sink alone (Kafka into a destination; start several to scale)
  coordinator   run the coordinator alone (schema, phases, progress) beside separate services
  docs task-file  print the task file reference

Run \`ferry <command> --help\` for a command's options.

${COMMON_HELP}`;

const command = process.argv[2];
const argv = process.argv.slice(3);

async function main(): Promise<number> {
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    case 'docs':
      if (argv[0] === 'task-file') {
        process.stdout.write(renderTaskReference());
        return 0;
      }
      process.stderr.write('usage: ferry docs task-file\n');
      return 2;
    case 'precheck':
      return runPrecheckCommand(argv);
    case 'migrate':
      return runMigrate(argv, { embedded: true });
    case 'coordinator':
      return runMigrate(argv, { embedded: false });
    case 'status':
      return runStatusCommand(argv);
    case 'verify':
      return runVerifyCommand(argv);
    case 'cutover':
      return runCutoverCommand(argv);
    case 'reset':
      return runResetCommand(argv);
    default:
      process.stderr.write(`ferry: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

try {
  // Exit explicitly: a client library's idle socket or timer must not keep a finished command alive.
  process.exit(await main());
} catch (error) {
  const args = (() => {
    try {
      return parseCommonArgs(argv, {}, process.env);
    } catch {
      return undefined;
    }
  })();
  const log = createRootLogger({ service: 'coordinator', level: args?.logLevel ?? 'info', pretty: process.stderr.isTTY });
  if (error instanceof FerryError) {
    log.debug({ err: error }, error.message);
    process.stderr.write(`${error.describe()}\n`);
  } else {
    log.error({ err: error }, 'ferry failed');
  }
  process.exit(1);
}
