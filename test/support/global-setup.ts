import { missingServiceVariables } from './services.js';

/**
 * Runs once before the integration suites. Without service URLs, it either starts
 * containers (Docker engine present) or fails with the command that fixes it.
 */
export default async function setup(): Promise<void | (() => Promise<void>)> {
  const missing = missingServiceVariables();
  if (missing.length === 0) return;
  const { startContainers } = await import('./containers.js');
  const started = await startContainers();
  if (started) return started.stop;
  throw new Error(
    `integration tests need ${missing.join(', ')}. Run \`npm test\` (it starts the local services), ` +
      'or `npm run infra -- up && eval "$(npm run -s infra -- env)"` first.',
  );
}
