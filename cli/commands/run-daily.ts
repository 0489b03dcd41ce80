export { runDaily as run } from './run-job.js';
