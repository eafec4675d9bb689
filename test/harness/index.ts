export * from './build.js';
export * from './controlplane.js';
export * from './express-simulator.js';
export * from './kube.js';
export * from './kwok.js';
export { findProcessesMentioning } from './procs.js';
export { VERSIONS, cacheKey } from './versions.js';
export * from './raw.js';
