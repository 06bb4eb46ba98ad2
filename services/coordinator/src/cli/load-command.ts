import { COMMON_HELP, loadTaskFile, parseCommonArgs, requireConfigPath, type CommonArgs, type TaskConfig } from '@ferry/config';
import { createRootLogger, type Logger } from '@ferry/observability';
import type { ParseArgsConfig } from 'node:util';

export interface LoadedCommand {
  args: CommonArgs;
  task: TaskConfig;
  log: Logger;
}

/** Parses a command's flags and loads its task file; prints help and returns undefined for --help. */
export function loadCommand(
  name: string,
  argv: string[],
  help: string,
  extra: NonNullable<ParseArgsConfig['options']> = {},
): LoadedCommand | undefined {
  const args = parseCommonArgs(argv, extra);
  if (args.help) {
    process.stdout.write(`${help}\n\n${COMMON_HELP}\n`);
    return undefined;
  }
  const task = loadTaskFile(requireConfigPath(args, name), { overrides: args.overrides });
  const log = createRootLogger({ service: 'coordinator', level: args.logLevel, pretty: process.stderr.isTTY }).child({ task: task.name });
  return { args, task, log };
}
