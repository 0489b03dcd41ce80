export * from './clock.js';
export * from './deadline.js';
export * from './object-store.js';
export * from './query-engine.js';
