/** The static HTML report: model, pure renderer, writer through the ObjectStore port. */
export * from './adapters.js';
export * from './format.js';
export * from './model.js';
export { renderReport } from './render.js';
export { reportKey, type WrittenReport, writeReport } from './write.js';
