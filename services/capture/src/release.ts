import type { TaskConfig } from '@ferry/config';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import { allowWritesThroughFence, releaseSource } from './source-setup.js';

/** `ferry capture --release`: nothing capture created on the source is left behind. */
export async function releaseCapture(task: TaskConfig, log: Logger): Promise<void> {
  const client = await openClient(task.source.url, { applicationName: 'ferry-capture-release', role: 'source' });
  try {
    await allowWritesThroughFence(client);
    await releaseSource(client, { slot: task.source.slot, publication: task.source.publication, task: task.name });
    log.info({ slot: task.source.slot, publication: task.source.publication }, 'released the replication slot and publication');
  } finally {
    await client.end();
  }
}
