export { Lsn } from './lsn.js';
export { TableId, splitQualifiedName } from './table-id.js';
export {
  FerryError,
  ConfigError,
  ConnectionError,
  PermissionError,
  DataError,
  InvariantError,
  isRetriable,
  toError,
  type ConfigProblem,
  type ErrorContext,
  type FerryErrorOptions,
} from './errors.js';
export { retry, abortableSleep, serviceRetryOptions, type RetryOptions } from './retry.js';
export { createThrottle, type RateLimit, type Throttle } from './throttle.js';
