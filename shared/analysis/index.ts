export * from './common.js';
export * from './design.js';
export * from './gaps.js';
export * from './models.js';
export * from './reports.js';
