export { runHourly as run } from './run-job.js';
