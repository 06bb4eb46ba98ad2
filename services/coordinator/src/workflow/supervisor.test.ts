import { createRootLogger } from '@ferry/observability';
import { describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.js';

const log = createRootLogger({ service: 'test', level: 'silent', pretty: false });
// A real `ferry` child that needs no server: it prints the task file reference and exits 0.
const spec = { name: 'docs', args: ['docs', 'task-file'] };

describe('Supervisor pause and resume', () => {
  it('starts nothing while paused, and starts the registered services on resume', async () => {
    const supervisor = new Supervisor(log);
    await supervisor.pause();
    supervisor.start(spec);
    expect(supervisor.describe()).toEqual([{ name: 'docs', running: false, pid: null, restarts: 0, lastExit: null }]);
    expect(supervisor.isPaused).toBe(true);

    supervisor.resume();
    expect(supervisor.isPaused).toBe(false);
    expect(supervisor.describe()[0]!.running).toBe(true);
    expect(supervisor.pid('docs')).toBeGreaterThan(0);
    await waitUntil(() => supervisor.describe()[0]!.lastExit !== null);
    expect(supervisor.describe()).toEqual([{ name: 'docs', running: false, pid: null, restarts: 0, lastExit: 'exit code 0' }]);
    await supervisor.stopAll();
  }, 30_000);
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
