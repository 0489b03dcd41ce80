import { Command, CommanderError } from 'commander';
import { VigilError } from '../shared/errors.js';
import { escapeControl } from '../shared/text/escape.js';

/**
 * The `vigil` command. Each sub-command's implementation is imported lazily so that
 * `vigil --help` and light commands start fast and never load DuckDB.
 */
const program = new Command('vigil')
  .description('Trust & safety metrics: compute, detect incidents, read out experiments')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    [
      '',
      'Exit codes: 0 ok, 1 failure (engine, data, I/O, failed windows), 2 bad input.',
      'Environment:',
      '  VIGIL_MEMORY_LIMIT  cap on the local engine memory (e.g. 1GB); past it DuckDB spills to disk',
      '  VIGIL_THREADS       local engine threads (default: one per core; results do not depend on it)',
      '  NO_COLOR            no colour in output',
      '',
      'Start with:',
      '  vigil demo          generate a lake, run every job, write alerts and the report',
    ].join('\n'),
  )
  // Usage errors echo what was typed: control characters in it are shown, never sent to the terminal.
  .configureOutput({ outputError: (text, write) => write(escapeControl(text, { keepNewlines: true })) })
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

for (const [job, what, at] of [
  [
    'hourly',
    'The hourly job as its schedule fires at --at: recompute, data-quality guard, detection, incidents, alerts',
    '2026-01-05T10:15:00Z',
  ],
  [
    'daily',
    'The daily job as its schedule fires at --at: the hourly chain on days, readouts of every experiment and policy, the report into the store',
    '2026-01-06T01:30:00Z',
  ],
] as const) {
  runCmd
    .command(job)
    .description(what)
    .requiredOption('--lake <dir>', 'event lake directory')
    .requiredOption('--store <dir>', 'results store directory (metrics, incident state, outbox, report)')
    .requiredOption(
      '--at <iso>',
      'when the schedule fires (the tick closes the last complete window before it)',
    )
    .option('--config <file>', 'vigil.yaml (default: built-in core catalog, no experiments)')
    .option('--alerts <file>', 'also append each alert as a JSON line to this file')
    .option('--force', 'take over leases of a run that is gone (its lease not expired yet)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `\nExample:\n  vigil run ${job} --lake .vigil/lake --store .vigil/store --at ${at} --alerts alerts.jsonl`,
    )
    .action(lazy(() => import(`./commands/run-${job}.js`)));
}

program
  .command('replay')
  .description('Run every scheduled tick in [from, to) in order, as the schedule would have (resumable)')
  .requiredOption('--lake <dir>', 'event lake directory')
  .requiredOption('--store <dir>', 'results store directory (progress is kept there)')
  .requiredOption('--grain <grain>', 'hour (the hourly job) | day (the daily job)')
  .requiredOption('--from <iso>', 'first instant, aligned to the grain')
  .requiredOption('--to <iso>', 'end, exclusive, aligned to the grain')
  .option('--config <file>', 'vigil.yaml (default: built-in core catalog, no experiments)')
  .option('--alerts <file>', 'also append each alert as a JSON line to this file')
  .option('--report <dir>', 'write the HTML report from the store into this folder at the end')
  .option('--force', 'take over leases of a run that is gone (its lease not expired yet)')
  .option('--json', 'print the summary as JSON')
  .option('--quiet', 'no progress output')
  .addHelpText(
    'after',
    [
      '',
      'A tick firing at T closes the last complete window before T (hourly fires at :15, daily at 01:30 UTC).',
      'Killed or stopped, rerun the same command: done ticks are skipped and no alert is sent twice.',
      '',
      'Example:',
      '  vigil replay --lake .vigil/lake --store .vigil/store --grain hour --from 2026-01-01 --to 2026-01-29 --alerts alerts.jsonl',
    ].join('\n'),
  )
  .action(lazy(() => import('./commands/replay.js')));

program
  .command('report')
  .description('Write the HTML report from what a results store holds')
  .requiredOption('--store <dir>', 'results store directory')
  .requiredOption('--out <dir>', 'folder to write index.html into (new, empty, or a Vigil report folder)')
  .option('--config <file>', 'vigil.yaml (default: built-in core catalog)')
  .option('--json', 'print the summary as JSON')
  .addHelpText('after', '\nExample:\n  vigil report --store .vigil/store --out .vigil/report')
  .action(lazy(() => import('./commands/report.js')));

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
    .option(
      '--row-checks',
      'also count out-of-partition timestamps and duplicate ids (data-quality warnings)',
    )
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
  .option('--scale <name>', 'lake size: tiny | small (tiny is for quick checks)', 'small')
  .option('--json', 'print the summary as JSON')
  .option('--quiet', 'no progress output')
  .action(lazy(() => import('./commands/demo.js')));

program
  .command('detect')
  .description('Score a timestamp,value CSV for anomalies (causal: row t uses rows <= t)')
  .requiredOption('--input <file>', 'CSV with columns timestamp,value')
  .requiredOption('--output <file>', 'CSV to write: timestamp,value,anomaly_score,is_anomaly')
  .option(
    '--series-column <col>',
    'column naming the series of a row (repeatable or comma list, e.g. metric,slice): one detector per series; echoed after the four output columns',
    (value: string, previous: string[] = []) => [...previous, value],
  )
  .option(
    '--max-series <n>',
    'most distinct series in one input (each holds 1-3.5 MiB of detector state)',
    '1000',
  )
  .option('--json', 'print the summary as JSON')
  .addHelpText(
    'after',
    `
Rows are scored in arrival order, as a stream sees them: a repeated or earlier timestamp is scored
where it arrives and counted in the summary. An empty value (or NaN, NA, null) is a gap: written
with score 0 and not learned from. Input and output are streamed: memory is one detector state
per series (1-3.5 MiB, finer sampling more), not the file size.

Examples:
  vigil detect --input series.csv --output scored.csv
  vigil detect --input metrics.csv --output scored.csv --series-column metric,slice --json`,
  )
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

program
  .command('experiment')
  .description('A/B test readouts')
  .command('analyze')
  .description('Read out an experiment: effects with CIs, CUPED, SRM check and a decision (JSON)')
  .requiredOption('--lake <dir>', 'event lake directory')
  .requiredOption('--config <file>', 'experiment config YAML')
  .requiredOption('--experiment <id>', 'experiment id in the config')
  .requiredOption('--as-of <iso>', 'count events before this instant')
  .requiredOption('--out <file>', 'readout JSON to write')
  .option('--json', 'print the readout as JSON')
  .option('--quiet', 'no progress output')
  .addHelpText(
    'after',
    '\nExample:\n  vigil experiment analyze --lake .vigil/lake --config .vigil/experiments.yaml --experiment report_flow_v2 --as-of 2026-01-29 --out readout.json',
  )
  .action(lazy(() => import('./commands/experiment-analyze.js')));

program
  .command('policy')
  .description('Policy launch evaluations')
  .command('evaluate')
  .description('Evaluate a regional launch: difference-in-differences, event study, synthetic control (JSON)')
  .requiredOption('--lake <dir>', 'event lake directory')
  .requiredOption('--config <file>', 'experiment/policy config YAML')
  .requiredOption('--policy <id>', 'policy id in the config')
  .requiredOption('--out <file>', 'readout JSON to write')
  .option('--json', 'print the readout as JSON')
  .option('--quiet', 'no progress output')
  .addHelpText(
    'after',
    '\nExample:\n  vigil policy evaluate --lake .vigil/lake --config .vigil/experiments.yaml --policy de_hate_speech_enforcement --out policy.json',
  )
  .action(lazy(() => import('./commands/policy-evaluate.js')));

function analysisCommand(parent: Command, name: string, description: string, example: string) {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--lake <dir>', 'event lake directory')
    .option('--from <iso>', 'first day (default: the lake manifest start)')
    .option('--to <iso>', 'end day, exclusive (default: the lake manifest end)')
    .option('--config <file>', 'metric config (only its source mappings are used)')
    .option('--out <file>', 'write the full result as JSON')
    .option('--json', 'print the full result as JSON')
    .option('--quiet', 'no progress output')
    .addHelpText('after', `\nExample:\n  ${example}`);
}

const analyzeCmd = program
  .command('analyze')
  .description('Find where safety work pays off and watch model health');
analysisCommand(
  analyzeCmd,
  'gaps',
  'Rank slices by violating exposure against enforcement',
  'vigil analyze gaps --lake .vigil/lake',
)
  .option('--min-labels <n>', 'labels a slice needs to be ranked', '200')
  .option('--top <n>', 'slices listed per level', '5')
  .action(lazy(() => import('./commands/analyze-gaps.js')));
analysisCommand(
  analyzeCmd,
  'reports',
  'Report funnel: decided, actioned, time to resolution, backlog',
  'vigil analyze reports --lake .vigil/lake',
)
  .option('--as-of <iso>', 'backlog reference time (default: --to)')
  .option('--min-decided <n>', 'decided reports a reason needs for its precision', '100')
  .action(lazy(() => import('./commands/analyze-reports.js')));
analysisCommand(
  analyzeCmd,
  'models',
  'Model health: score drift (PSI, KS), calibration, thresholds',
  'vigil analyze models --lake .vigil/lake',
)
  .option('--reference-from <iso>', 'reference window start (default: first 7 days)')
  .option('--reference-to <iso>', 'reference window end')
  .option('--outcome-days <n>', 'days to wait for later outcomes', '7')
  .option('--models <list>', 'model_score,risk_score', 'model_score,risk_score')
  .option('--psi-threshold <x>', 'PSI drift threshold', '0.25')
  .option('--ks-threshold <x>', 'KS D drift threshold', '0.1')
  .action(lazy(() => import('./commands/analyze-models.js')));

const designCmd = program.command('design').description("Design measurements from the lake's history");
analysisCommand(
  designCmd,
  'experiment',
  'Units, duration and MDE for an experiment metric (CUPED included)',
  'vigil design experiment --lake .vigil/lake --metric reports_per_user --mde 0.05',
)
  .requiredOption(
    '--metric <name>',
    'reports_per_user | reporting_user_share | impressions_per_user | removals_per_creator',
  )
  .option('--mde <x>', 'relative minimum detectable effect', '0.05')
  .option('--alpha <x>', 'two-sided significance level', '0.05')
  .option('--power <x>', 'power', '0.8')
  .option('--traffic <x>', 'share of units in the experiment', '1')
  .option('--pre-days <n>', 'pre-period days for CUPED', '7')
  .action(lazy(() => import('./commands/design-experiment.js')));
analysisCommand(
  designCmd,
  'sampling',
  'Neyman allocation of a prevalence review budget across region × surface',
  'vigil design sampling --lake .vigil/lake --budget 5000',
)
  .option('--budget <n>', 'labels to allocate (default: labels per day in the range)')
  .option('--min-per-stratum <n>', 'minimum labels per stratum', '10')
  .option('--confidence <x>', 'confidence level', '0.95')
  .action(lazy(() => import('./commands/design-sampling.js')));

program
  .command('init')
  .description('Inspect an existing lake and write a starting vigil.yaml (source and column mappings)')
  .requiredOption('--lake <dir>', 'event lake directory (<source>/dt=YYYY-MM-DD/hour=HH/*.parquet)')
  .option('--out <file>', 'config file to write', 'vigil.yaml')
  .option('--force', 'replace a file an earlier vigil init wrote')
  .option('--json', 'print the summary as JSON')
  .addHelpText(
    'after',
    '\nExample:\n  vigil init --lake /data/lake --out vigil.yaml && vigil config validate vigil.yaml',
  )
  .action(lazy(() => import('./commands/init.js')));

const configCmd = program.command('config').description('Work with the config file (vigil.yaml)');
configCmd
  .command('validate')
  .description('Validate a whole vigil.yaml: one line naming the path and value on error (exit 2)')
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
  .description('Print the JSON Schema of vigil.yaml (for editors and CI)')
  .action(lazy(() => import('./commands/config-schema.js')));

// `vigil … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

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
      process.stderr.write(`vigil: error: ${escapeControl(err.message)}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil: error: ${escapeControl(message.split('\n')[0]!)}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
