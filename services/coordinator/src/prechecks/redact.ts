import type { TaskConfig } from '@ferry/config';
import { redactUrl } from '@ferry/pg';

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi;
/** Shorter strings would blank ordinary words; a password that short is itself the bigger problem. */
const MIN_SECRET_LENGTH = 4;

/**
 * Removes secrets from text that reaches the terminal or the JSON report: URLs lose
 * their passwords, and every password the task holds is masked wherever it appears
 * (a driver may echo one inside an exception message).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let clean = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  const ordered = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of ordered) clean = clean.split(secret).join('***');
  return clean;
}

/**
 * Every password in the task: URL user-info and ?password=, SASL and registry
 * passwords. A password equal to a name every report shows anyway (a user name,
 * the URL scheme, as in postgres:postgres) cannot be hidden by masking, and
 * masking it would only garble the report, so it is left out.
 */
export function secretsOfTask(task: TaskConfig): string[] {
  const secrets: string[] = [];
  const urls = [task.source.url, ...task.destinations.map((d) => d.url), task.schemaRegistry.url];
  for (const url of urls) secrets.push(...passwordsInUrl(url));
  if (task.kafka.sasl?.password) secrets.push(task.kafka.sasl.password);
  if (task.schemaRegistry.password) secrets.push(task.schemaRegistry.password);
  const shown = new Set(['postgres', 'postgresql', 'http', 'https', ...urls.flatMap(userNames)]);
  if (task.kafka.sasl) shown.add(task.kafka.sasl.username);
  if (task.schemaRegistry.username) shown.add(task.schemaRegistry.username);
  return secrets.filter((s) => !shown.has(s));
}

function userNames(url: string): string[] {
  try {
    const { username } = new URL(url);
    return username ? [username, safeDecode(username)] : [];
  } catch {
    return [];
  }
}

export function passwordsInUrl(url: string): string[] {
  const found: string[] = [];
  try {
    const parsed = new URL(url);
    if (parsed.password) found.push(parsed.password, safeDecode(parsed.password));
    for (const name of ['password', 'sslpassword']) {
      const value = parsed.searchParams.get(name);
      if (value) found.push(value, encodeURIComponent(value));
    }
  } catch {
    // Not parseable: redactUrl still strips what looks like user-info.
  }
  return found;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
