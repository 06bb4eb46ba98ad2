export { ByteWriter } from './byte-writer.js';
export { pgoutputBytes, xlogDataFrame, keepaliveFrame } from './pgoutput-builders.js';
