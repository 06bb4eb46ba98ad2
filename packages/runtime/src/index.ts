export { serviceMain, type ServiceContext, type ServiceMainOptions } from './service-main.js';
export { exposeMetrics, processMetrics, METRICS_PORT_ENV, METRICS_PORT_OFFSET, type ProcessMetrics } from './service-metrics.js';
