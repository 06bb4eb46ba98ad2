import { spawn } from 'node:child_process';
import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import { listTables, openClient, quoteQualified } from '@ferry/pg';
import { dropTableClaims } from '../prechecks/table-claims.js';
import { FERRY_BIN } from '../workflow/supervisor.js';
import { loadCommand } from './load-command.js';

const HELP = `ferry reset -c task.yaml --yes

Starts a task over from nothing, e.g. after the source failed over to a standby that
did not have the replication slot (capture then stops with SLOT_LOST: the changes since
its last confirmed position cannot be read again). Stop the task's processes first. It:

  1. drops the replication slot and publication on the source (ferry capture --release)
  2. drops the sink's replication origins and bookkeeping on every destination (ferry sink --release)
  3. deletes the task's Kafka topics (every topic under kafka.topicPrefix, the task state included)
  4. on every destination, drops the tables the task writes (with phases [schema, ...];
     the schema phase creates them again) or empties them (without the schema phase)

Then \`ferry migrate -c task.yaml\` copies everything again. Nothing happens without --yes.

  --yes   really do it`;

/** `ferry reset`: the explicit way to start a task over; capture never does it on its own. */
export async function runResetCommand(argv: string[]): Promise<number> {
  const loaded = loadCommand('reset', argv, HELP, { yes: { type: 'boolean' } });
  if (!loaded) return 0;
  const { args, task, log } = loaded;
  const tables = await destinationTables(task);
  if (!args.flags.yes) {
    process.stderr.write(
      `ferry reset would drop slot "${task.source.slot}" and publication "${task.source.publication}", every topic under "${task.kafka.topicPrefix}.", ` +
        `and ${task.phases.includes('schema') ? 'drop' : 'empty'} ${tables.length} table(s) on ${task.destinations.map((d) => `"${d.name}"`).join(', ')}. Run again with --yes to do it.\n`,
    );
    return 2;
  }
  const file = args.configPath!;
  await ferry(['capture', '-c', file, '--release'], 'releasing the source');
  for (const destination of task.destinations) await ferry(['sink', '-c', file, '--release', '--destination', destination.name], `releasing destination "${destination.name}"`);
  await deleteTopics(task, log);
  for (const destination of task.destinations) {
    const client = await openClient(destination.url, { applicationName: 'ferry-reset', role: 'destination' });
    try {
      await client.query('SET default_transaction_read_only = off');
      const present = await Promise.all(tables.map(async (t) => ((await client.query('SELECT to_regclass($1) AS r', [quoteQualified(t.schema, t.table)])).rows[0]?.r ? [t] : [])));
      const names = present.flat().map((t) => quoteQualified(t.schema, t.table));
      // One statement for all of them: foreign keys between the task's own tables do not block it.
      if (names.length > 0) await client.query(task.phases.includes('schema') ? `DROP TABLE ${names.join(', ')} CASCADE` : `TRUNCATE ${names.join(', ')}`);
      await dropTableClaims(client, task.name);
      log.info({ destination: destination.name, tables: names.length }, task.phases.includes('schema') ? 'dropped the task\'s destination tables' : 'emptied the task\'s destination tables');
    } finally {
      await client.end();
    }
  }
  log.info('the task is reset; `ferry migrate` starts it over');
  return 0;
}

/** The destination names of the tables the task selects on the source. */
async function destinationTables(task: TaskConfig): Promise<{ schema: string; table: string }[]> {
  const selection = new ObjectSelection(task.objects);
  const source = await openClient(task.source.url, { applicationName: 'ferry-reset', role: 'source' });
  try {
    return (await listTables(source)).filter((t) => selection.includesTable(t.schema, t.name)).map((t) => selection.destinationTable(t.schema, t.name));
  } finally {
    await source.end();
  }
}

async function deleteTopics(task: TaskConfig, log: Logger): Promise<void> {
  const admin = createKafka(kafkaSettingsFor(task.kafka, 'coordinator'), log).admin();
  await admin.connect();
  try {
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${task.kafka.topicPrefix}.`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
    // Deletion finishes in the background; topics of the same names cannot be created before it has.
    for (let waited = 0; waited < 60; waited += 1) {
      const left = (await admin.listTopics()).filter((t) => ours.includes(t));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    log.info({ topics: ours.length }, 'deleted the task\'s topics');
  } finally {
    await admin.disconnect();
  }
}

function ferry(args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new FerryError('RESET_FAILED', `${what} failed (ferry ${args[0]} exited with ${code})`, { fix: 'read its error above, fix it, and run ferry reset again (every step can be repeated)' })),
    );
  });
}
