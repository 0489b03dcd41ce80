export * from './clock.js';
export * from './object-store.js';
export * from './query-engine.js';
