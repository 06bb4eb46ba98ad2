import { randomBytes } from 'node:crypto';

/**
 * A name no other test run uses: lower case, starts with a letter, safe as a
 * database, slot, topic or subject name. Suites running in parallel never collide.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${clean}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}
