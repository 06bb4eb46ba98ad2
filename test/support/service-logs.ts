import { existsSync, readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { startedServices } from './pipeline.js';

// A failed pipeline test says what the capture, sink and coordinator processes it started
// were doing: the end of each one's log goes to the test output.
const TAIL_LINES = 40;

afterEach((context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const service of startedServices) {
    if (!existsSync(service.logFile)) continue;
    const lines = readFileSync(service.logFile, 'utf8').trimEnd().split('\n');
    const status = service.process.exitCode !== null || service.process.signalCode !== null ? `exited (${service.process.exitCode ?? service.process.signalCode})` : 'running';
    process.stderr.write(`\n--- ${service.logFile} (${status}), last ${Math.min(TAIL_LINES, lines.length)} lines ---\n${lines.slice(-TAIL_LINES).join('\n')}\n`);
  }
});
