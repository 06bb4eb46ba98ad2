export { runPrechecks, thrownToResult, type RunPrechecksOptions, type PrecheckOutcome } from './run-prechecks.js';
export { formatPrecheckReport, formatPrecheckJson, summarizeResults, type PrecheckSummary, type FormatOptions } from './report.js';
export { allPrechecks } from './all-prechecks.js';
export { createPrecheckContext, ServerUnavailableError, type PrecheckContextOptions, type OwnedPrecheckContext } from './context.js';
export { redactSecrets, secretsOfTask } from './redact.js';
export type { CheckResult, CheckStatus, Precheck, PrecheckContext, ConnectTarget } from './types.js';
