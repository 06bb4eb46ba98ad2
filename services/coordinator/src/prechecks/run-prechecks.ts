import type { PhaseName, TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { classifyPgError } from '@ferry/pg';
import { allPrechecks } from './all-prechecks.js';
import { createPrecheckContext, ServerUnavailableError } from './context.js';
import { redactSecrets, secretsOfTask } from './redact.js';
import { summarizeResults } from './report.js';
import type { CheckResult, Precheck } from './types.js';

export interface RunPrechecksOptions {
  /** Phases to check for; the task's own phases by default. */
  phases?: readonly PhaseName[];
  /** The checks to run, in order; every check by default. */
  checks?: readonly Precheck[];
  /** Per connection attempt (default 10 s). */
  connectTimeoutMs?: number;
}

export interface PrecheckOutcome {
  results: CheckResult[];
  /** True when no result is an error. The caller turns false into exit code 1. */
  ok: boolean;
}

/**
 * Runs every check that matters for the phases, one after the other, and never
 * stops at the first failure: the operator gets the whole list of what to fix in
 * one go. A check that throws becomes an error naming the check and the exception.
 * Every message and fix is scrubbed of the task's secrets before it is returned.
 */
export async function runPrechecks(task: TaskConfig, options: RunPrechecksOptions = {}): Promise<PrecheckOutcome> {
  const phases = options.phases ?? task.phases;
  const checks = (options.checks ?? allPrechecks).filter((check) => check.appliesTo.some((p) => phases.includes(p)));
  const ctx = createPrecheckContext(task, { phases, ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}) });
  const results: CheckResult[] = [];
  try {
    for (const check of checks) results.push(...(await runOne(check, ctx)));
  } finally {
    await ctx.close();
  }
  const secrets = secretsOfTask(task);
  const clean = results.map((r) => redactResult(r, secrets));
  return { results: clean, ok: summarizeResults(clean).ok };
}

async function runOne(check: Precheck, ctx: Parameters<Precheck['run']>[0]): Promise<CheckResult[]> {
  try {
    const found = await check.run(ctx);
    if (found.length > 0) return found;
    return [{ id: check.id, status: 'pass', message: `${check.title}: nothing to report` }];
  } catch (error) {
    return [thrownToResult(check, error)];
  }
}

/** What a failing check reports: its own title and the exception, never a stack or a secret. */
export function thrownToResult(check: Pick<Precheck, 'id' | 'title'>, error: unknown): CheckResult {
  if (error instanceof ServerUnavailableError) {
    return { id: check.id, status: 'error', message: `${check.title}: ${error.message}`, ...(error.fix ? { fix: error.fix } : {}) };
  }
  // Server and socket errors carry a code and get Ferry's classification (and its fix); anything else is shown as it is.
  const hasCode = typeof (error as { code?: unknown } | null)?.code === 'string';
  const ferry = error instanceof FerryError ? error : hasCode ? classifyPgError(error) : undefined;
  const text = ferry?.message ?? (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  return {
    id: check.id,
    status: 'error',
    message: `the check "${check.title}" could not finish: ${text}`,
    fix: ferry?.fix ?? 'fix the cause named in the message and run ferry precheck again; if it persists, report it with this output',
  };
}

function redactResult(result: CheckResult, secrets: readonly string[]): CheckResult {
  const clean: CheckResult = { ...result, message: redactSecrets(result.message, secrets) };
  if (result.fix !== undefined) clean.fix = redactSecrets(result.fix, secrets);
  if (result.objects !== undefined) clean.objects = result.objects.map((o) => redactSecrets(o, secrets));
  return clean;
}
