export * from './evaluate.js';
export * from './inference.js';
export * from './panel.js';
