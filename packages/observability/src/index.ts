export { createRootLogger, type Logger, type LoggerSettings } from './logger.js';
export { redact, redactText, isSecretKey, REDACTED } from './redact.js';
