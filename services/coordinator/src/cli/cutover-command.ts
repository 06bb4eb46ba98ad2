import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import { abortCutover } from '../cutover/abort-cutover.js';
import { DEFAULT_DRAIN_TIMEOUT_SECONDS, DEFAULT_MAX_LAG_SECONDS, parseFence, parseSeconds } from '../cutover/cutover-options.js';
import { formatReport } from '../cutover/cutover-report.js';
import { runCutover, stepLine, type StepOutcome } from '../cutover/run-cutover.js';
import { TaskStateStore } from '../workflow/task-state.js';
import { loadCommand } from './load-command.js';

const HELP = `ferry cutover -c task.yaml --fence roles:a,b|read-only|none [--max-lag-seconds N] [--backflow] [--abort]

Switches the applications over to the destination, step by step:
  1 check      refuse unless the task is in continuous sync and the lag is below the limit
  2 fence      stop application writes on the source
  3 drain      write a cutover marker on the source and wait until every destination
               has applied every change committed before it
  4 sequences  give every destination sequence the source's position
  5 verify     every table must be equal (row counts and checksums)
  6 backflow   optionally carry the destination's writes back to the old source
  7 report     print what was done; the task's phase becomes done
A failure or Ctrl-C after step 2 lifts the fence again.

  --fence roles:a,b          those roles lose LOGIN and their sessions end
  --fence read-only          the database defaults to read-only transactions and every
                             session except Ferry's own ends (a soft fence: a session can undo it)
  --fence none               you stopped the applications yourself
  --max-lag-seconds N        refuse when a destination is N seconds behind or more (default ${DEFAULT_MAX_LAG_SECONDS})
  --drain-timeout-seconds N  give up and restore the source after N seconds of draining (default ${DEFAULT_DRAIN_TIMEOUT_SECONDS})
  --backflow                 write <task>.backflow.yaml next to the task file and run it in the
                             background: destination → old source, changes only
  --abort                    undo an unfinished cutover (e.g. one that was killed): lift the fence`;

export async function runCutoverCommand(argv: string[]): Promise<number> {
  const loaded = loadCommand('cutover', argv, HELP, {
    fence: { type: 'string' },
    'max-lag-seconds': { type: 'string' },
    'drain-timeout-seconds': { type: 'string' },
    backflow: { type: 'boolean' },
    abort: { type: 'boolean' },
  });
  if (!loaded) return 0;
  const { args, task, log } = loaded;
  const kafka = createKafka(kafkaSettingsFor(task.kafka, 'cutover'), log);
  const store = new TaskStateStore(kafka, task.kafka.topicPrefix, task.kafka.replicationFactor);
  const controller = new AbortController();
  const onSignal = () => {
    log.warn('stopping the cutover: the source is restored first');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (args.flags.abort) {
      process.stdout.write(`${await abortCutover(task, store, log)}\n`);
      return 0;
    }
    const options = {
      fence: parseFence(args.flags.fence as string | undefined),
      maxLagSeconds: parseSeconds('max-lag-seconds', args.flags['max-lag-seconds'] as string | undefined, DEFAULT_MAX_LAG_SECONDS),
      drainTimeoutSeconds: parseSeconds('drain-timeout-seconds', args.flags['drain-timeout-seconds'] as string | undefined, DEFAULT_DRAIN_TIMEOUT_SECONDS),
      backflow: Boolean(args.flags.backflow),
    };
    const onStep = (step: StepOutcome) => (args.json ? process.stderr : process.stdout).write(`${stepLine(step)}\n`);
    const report = await runCutover({ task, configPath: args.configPath!, overrides: args.overrides, kafka, store, log, onStep, signal: controller.signal }, options);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report, args.configPath)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}
