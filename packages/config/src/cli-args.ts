import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '@ferry/core';

export interface CommonArgs {
  configPath: string | undefined;
  overrides: Record<string, string>;
  logLevel: string;
  json: boolean;
  help: boolean;
  positionals: string[];
  /** Command-specific flags, by name. */
  flags: Record<string, string | boolean | string[] | undefined>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const COMMON_HELP = `Common options:
  -c, --config FILE     task file (YAML); see docs/task-file.md
  --set PATH=VALUE      override one key of the task file, e.g. --set snapshot.parallelism=8
  --log-level LEVEL     trace, debug, info (default), warn, error; or FERRY_LOG_LEVEL
  --json                machine-readable output
  -h, --help            this help`;

/** Parses a command's flags. Unknown flags are an error that names them. */
export function parseCommonArgs(argv: string[], extra: Options = {}, env = process.env): CommonArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...extra }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0]}`, [], { fix: 'run the command with --help to see its options' });
  }
  const { values, positionals } = parsed;
  const overrides: Record<string, string> = {};
  for (const item of (values.set as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects PATH=VALUE, got "${item}"`, [], { fix: 'e.g. --set snapshot.parallelism=8' });
    overrides[item.slice(0, eq)] = item.slice(eq + 1);
  }
  const flags: CommonArgs['flags'] = {};
  for (const name of Object.keys(extra)) flags[name] = values[name] as CommonArgs['flags'][string];
  return {
    configPath: (values.config as string | undefined) ?? env.FERRY_TASK_FILE,
    overrides,
    logLevel: (values['log-level'] as string | undefined) ?? env.FERRY_LOG_LEVEL ?? 'info',
    json: Boolean(values.json),
    help: Boolean(values.help),
    positionals,
    flags,
  };
}

/** The task file path, or a ConfigError saying how to give one. */
export function requireConfigPath(args: CommonArgs, command: string): string {
  if (args.configPath) return args.configPath;
  throw new ConfigError(`ferry ${command} needs a task file`, [], {
    fix: `run: ferry ${command} -c task.yaml (or set FERRY_TASK_FILE); see docs/task-file.md`,
  });
}

/** True when `ferry migrate` started this process as one of its services. */
export function isSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FERRY_SUPERVISED === '1';
}
