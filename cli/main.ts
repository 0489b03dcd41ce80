import { Command, CommanderError } from 'commander';
import { VigilError } from '../shared/errors.js';

/**
 * The `vigil` command. Each sub-command's implementation is imported lazily so that
 * `vigil --help` and light commands start fast and never load DuckDB.
 */
const program = new Command('vigil')
  .description('Trust & safety metrics: compute, detect incidents, read out experiments')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

type Loader = () => Promise<{ run: (...args: never[]) => Promise<void> }>;
function lazy(load: Loader) {
  return async (...args: unknown[]) => {
    const mod = await load();
    await (mod.run as (...a: unknown[]) => Promise<void>)(...args);
  };
}

program
  .command('generate')
  .description('Generate a synthetic T&S event lake with planted incidents (hive-partitioned Parquet)')
  .requiredOption('--out <dir>', 'lake directory to write')
  .option('--seed <n>', 'random seed', '42')
  .option('--scale <name>', 'small | medium | large (large = 10M+ impressions)', 'small')
  .option('--impressions <n>', 'override the number of impressions')
  .option('--start <date>', 'first day (YYYY-MM-DD)', '2026-01-01')
  .option('--days <n>', 'number of days')
  .option('--json', 'print the summary as JSON')
  .option('--quiet', 'no progress output')
  .addHelpText('after', '\nExample:\n  vigil generate --out .vigil/lake --scale small --seed 7')
  .action(lazy(() => import('./commands/generate.js')));

const runCmd = program.command('run').description('Run a job over a window');
runCmd
  .command('metrics')
  .description('Compute metrics for every window of a grain in [from, to) and write a CSV')
  .requiredOption('--lake <dir>', 'event lake directory')
  .option('--config <file>', 'metric config YAML (default: built-in core catalog)')
  .requiredOption('--grain <grain>', 'hour | day')
  .requiredOption('--from <iso>', 'first window start (aligned to the grain)')
  .requiredOption('--to <iso>', 'end, exclusive (aligned to the grain)')
  .requiredOption('--out <file>', 'CSV file to write')
  .option('--metrics <names>', "comma-separated subset of the config's metrics")
  .option('--json', 'print the summary as JSON')
  .option('--quiet', 'no progress output')
  .addHelpText(
    'after',
    '\nExample:\n  vigil run metrics --lake .vigil/lake --grain day --from 2026-01-01 --to 2026-01-08 --out m.csv',
  )
  .action(lazy(() => import('./commands/run-metrics.js')));

for (const [name, what] of [
  ['backfill', 'Compute and store metrics for every window in [from, to) (idempotent)'],
  ['rerun', 'Recompute and replace stored metric windows in [from, to) (idempotent)'],
] as const) {
  program
    .command(name)
    .description(what)
    .requiredOption('--lake <dir>', 'event lake directory')
    .option('--config <file>', 'metric config YAML (default: built-in core catalog)')
    .requiredOption('--grain <grain>', 'hour | day')
    .requiredOption('--from <iso>', 'first window start (aligned to the grain)')
    .requiredOption('--to <iso>', 'end, exclusive (aligned to the grain)')
    .option('--store <dir>', 'metric store directory', '.vigil/store')
    .option('--concurrency <n>', 'windows computed at once', '2')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      `\nExample:\n  vigil ${name} --lake .vigil/lake --grain hour --from 2026-01-01T00:00:00Z --to 2026-01-02T00:00:00Z`,
    )
    .action(lazy(() => import('./commands/backfill.js')));
}

program
  .command('demo')
  .description('Generate a lake, run the jobs over it, write alerts and a report, print a summary')
  .option('--dir <dir>', 'output directory', '.vigil')
  .option('--seed <n>', 'random seed', '42')
  .option('--json', 'print the summary as JSON')
  .option('--quiet', 'no progress output')
  .action(lazy(() => import('./commands/demo.js')));

program
  .command('detect')
  .description('Score a timestamp,value CSV for anomalies (causal: row t uses rows <= t)')
  .requiredOption('--input <file>', 'CSV with columns timestamp,value')
  .requiredOption('--output <file>', 'CSV to write: timestamp,value,anomaly_score,is_anomaly')
  .option('--json', 'print the summary as JSON')
  .addHelpText('after', '\nExample:\n  vigil detect --input series.csv --output scored.csv')
  .action(lazy(() => import('./commands/detect.js')));

program
  .command('stats')
  .description('Run a statistics method: reads {input} JSON on stdin, writes the result JSON on stdout')
  .argument('<method>', 'e.g. welch_ttest, two_proportion_ztest, cuped, srm_chisq, did_cluster')
  .addHelpText(
    'after',
    `\nExample:\n  echo '{"observed":[50,50],"expected_weights":[1,1]}' | vigil stats srm_chisq`,
  )
  .action(lazy(() => import('./commands/stats.js')));

const configCmd = program.command('config').description('Work with metric config files');
configCmd
  .command('validate')
  .description('Validate a metric config YAML file')
  .argument('<file>', 'config file')
  .option('--json', 'print the summary as JSON')
  .action(lazy(() => import('./commands/config-validate.js')));
configCmd
  .command('export')
  .description('Print a validated config as JSON with defaults filled in (the form the AWS jobs read)')
  .argument('<file>', 'config file')
  .action(lazy(() => import('./commands/config-export.js')));
configCmd
  .command('default')
  .description('Print the built-in core catalog as YAML, to start a custom config from')
  .action(lazy(() => import('./commands/config-default.js')));
configCmd
  .command('schema')
  .description('Print the JSON Schema of the metric config (for editors)')
  .action(lazy(() => import('./commands/config-schema.js')));

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; usage errors are bad input.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof VigilError) {
      process.stderr.write(`vigil: error: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil: error: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
