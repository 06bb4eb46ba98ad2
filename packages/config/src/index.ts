export { taskSchema, phaseNames, type PhaseName, type TaskInput, type ParsedTask } from './task-schema.js';
export { loadTaskFile, parseTask, readTaskDocument, type LoadTaskOptions } from './load-task.js';
export { resolveTask, type TaskConfig, type ResolvedDestination } from './resolve-task.js';
export { renderTaskReference } from './task-reference.js';
export { ObjectSelection, patternToRegExp } from './object-selection.js';
export { parseCommonArgs, requireConfigPath, isSupervised, COMMON_HELP, type CommonArgs } from './cli-args.js';
export { sinkOriginPrefix, isOriginOf, skippedOrigins } from './origin-names.js';
