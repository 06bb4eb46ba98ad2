export { Registry, Counter, Gauge, Histogram, DURATION_BUCKETS, type Labels } from './registry.js';
export { parseExposition, sampleValue, type Sample } from './parse-exposition.js';
export { serveMetrics, EXPOSITION_CONTENT_TYPE, type MetricsServer } from './metrics-server.js';
