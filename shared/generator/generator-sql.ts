import { literal, quoteString, timestampLiteral } from '../sql/literals.js';
import { formatIso, parseUtc } from '../time/window.js';
import { RATES, REGIONS, type Scenario } from './scenario.js';

/**
 * DuckDB SQL that synthesises the six sources of a scenario as tables named `gen_<source>`.
 * Randomness is a hash of (row key, salt, seed): deterministic, and independent of thread count.
 * Volumes follow region size × local diurnal curve × weekday; per-user activity is heavy-tailed
 * (power transforms of uniforms); the planted incidents are rows added or removed in their window.
 */
type Weighted = readonly (readonly [string, number])[];

/** CASE expression picking a category from a uniform draw by cumulative weights. */
function pick(u: string, weights: Weighted): string {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  const arms = weights.slice(0, -1).map(([v, w]) => {
    acc += w / total;
    return `WHEN ${u} < ${acc.toFixed(6)} THEN ${quoteString(v)}`;
  });
  return `CASE ${arms.join(' ')} ELSE ${quoteString(weights[weights.length - 1]![0])} END`;
}

const SURFACES_IMP: Weighted = [
  ['video', 62],
  ['live', 15],
  ['comment', 18],
  ['message', 5],
];
const SURFACES_MOD: Weighted = [
  ['video', 45],
  ['live', 15],
  ['comment', 30],
  ['message', 10],
];
const SURFACES_REP: Weighted = [
  ['video', 50],
  ['live', 20],
  ['comment', 25],
  ['message', 5],
];
const PLATFORMS: Weighted = [
  ['android', 48],
  ['ios', 42],
  ['web', 10],
];
const POLICIES: Weighted = [
  ['spam', 30],
  ['harassment', 15],
  ['nudity', 12],
  ['hate_speech', 10],
  ['scam_fraud', 8],
  ['misinformation', 8],
  ['violent_graphic', 6],
  ['dangerous_acts', 6],
  ['minor_safety', 5],
];
const REASONS: Weighted = [
  ['spam', 28],
  ['harassment', 18],
  ['misinformation', 12],
  ['hate_speech', 10],
  ['nudity', 10],
  ['scam_fraud', 8],
  ['violent_graphic', 5],
  ['dangerous_acts', 5],
  ['minor_safety', 4],
];
/** Sampling probability of prevalence labelling per surface; sample_weight is its inverse. */
const LABEL_RATE: Record<string, number> = { video: 0.001, live: 0.004, comment: 0.002, message: 0.01 };

export function generatorSql(s: Scenario): string[] {
  const seed = s.seed;
  const ts = (iso: string) => timestampLiteral(parseUtc(iso, 'scenario'));
  // A scenario without built-in incidents (planted: 'none') plants each one over an empty window.
  const none = { start: formatIso(s.start), end: formatIso(s.start), multiplier: 1 };
  const inc = (id: string) => s.incidents.find((i) => i.id === id) ?? none;
  const outage = inc('classifier-outage');
  const wave = inc('spam-wave-br');
  const spike = inc('live-report-spike');
  const stuffing = inc('credential-stuffing-id');
  const gap = s.enforcementGap;
  const exp = s.experiment;
  const hours = s.days * 24;
  const regions = REGIONS.map((r, i) => `(${quoteString(r.region)}, ${r.share}, ${r.tz}, ${i})`).join(', ');
  // Per-event time within its hour, and a standard normal from two uniforms (Box–Muller).
  const within = (key: string) => `to_microseconds(CAST(floor(u(${key}, 'sec') * 3599999999) AS BIGINT))`;
  const normal = (key: string, salt: string) =>
    `(sqrt(-2 * ln(greatest(u(${key}, '${salt}1'), 1e-12))) * cos(2 * pi() * u(${key}, '${salt}2')))`;
  const userId = (key: string, salt: string, power: number) =>
    `'u' || region || '_' || CAST(floor(n_users * pow(u(${key}, '${salt}'), ${power})) AS BIGINT)`;
  const contentIdx = (key: string) => `CAST(floor(${s.contents} * pow(u(${key}, 'content'), 3)) AS BIGINT)`;
  // Extra-Poisson volume: one traffic factor per region-day and hour shared by every source (rates
  // stay put), and a rate factor per region-day for each source but impressions. None at noise 0,
  // so a noise-free lake is the same bytes as before the option existed.
  const day = '(h // 24) * 100 + ridx';
  const volumeFactor = (source: string) =>
    s.noise > 0
      ? ` * exp(${s.noise} * ${normal(day, 'traffic_day')} + ${s.noise / 2} * ${normal('h * 100 + ridx', 'traffic_hour')}` +
        (source === 'impressions' ? '' : ` + ${s.noise} * ${normal(day, `${source}_rate`)}`) +
        ')'
      : '';
  const rowsOf = (source: string, total: number) => `
    CREATE OR REPLACE TABLE rows_${source} AS
    SELECT h, ts, region, n_users, hash(h, region, k, '${source}') AS key
    FROM (
      SELECT h, ts, region, n_users,
        CAST(floor(${total} * w${volumeFactor(source)} + u(h * 100 + ridx, '${source}n')) AS BIGINT) AS n
      FROM hr
    ), LATERAL (SELECT unnest(range(n)) AS k)`;

  return [
    `CREATE OR REPLACE MACRO u(a, b) AS (hash(a, b, ${seed}) % 4294967296) / 4294967296.0`,
    `CREATE OR REPLACE TABLE regions AS SELECT * FROM (VALUES ${regions}) t(region, share, tz, ridx)`,
    // Hour × region volume weights: local diurnal curve peaking at 21h, weekends +15%.
    `CREATE OR REPLACE TABLE hr AS
     WITH base AS (
       SELECT h, ${timestampLiteral(s.start)} + to_hours(CAST(h AS BIGINT)) AS ts, region, share, tz, ridx
       FROM range(${hours}) t(h), regions
     ), weighted AS (
       SELECT *, share * (0.3 + 0.7 * (1 + cos(2 * pi() * (((hour(ts) + tz + 48) % 24) - 21) / 24)) / 2)
                 * (CASE WHEN dayofweek(ts) IN (0, 6) THEN 1.15 ELSE 1.0 END) AS raw
       FROM base
     )
     SELECT h, ts, region, ridx, raw / sum(raw) OVER () AS w,
            CAST(greatest(50, round(${s.users} * share)) AS BIGINT) AS n_users
     FROM weighted`,

    rowsOf('impressions', s.impressions),
    `CREATE OR REPLACE TABLE gen_impressions AS
     SELECT ts + ${within('key')} AS event_time,
       'imp_' || CAST(key AS VARCHAR) AS impression_id,
       ${userId('key', 'viewer', 2.5)} AS viewer_id,
       'c' || ci AS content_id,
       'cr' || (ci % ${s.creators}) AS creator_id,
       ${pick("u(key, 'surface')", SURFACES_IMP)} AS surface,
       region,
       ${pick("u(key, 'platform')", PLATFORMS)} AS platform
     FROM (SELECT *, ${contentIdx('key')} AS ci FROM rows_impressions)`,

    rowsOf('moderation_decisions', s.impressions * RATES.moderation_decisions),
    `CREATE OR REPLACE TABLE base_decisions AS
     SELECT ts + ${within('key')} AS event_time, key, region,
       ${contentIdx('key')} AS ci,
       ${pick("u(key, 'surface')", SURFACES_MOD)} AS surface,
       ${pick("u(key, 'policy')", POLICIES)} AS policy,
       ${pick("u(key, 'source')", [
         ['automated', 70],
         ['human', 25],
         ['appeal', 5],
       ])} AS decision_source,
       u(key, 'action') AS ua
     FROM rows_moderation_decisions`,
    `CREATE OR REPLACE TABLE gen_moderation_decisions AS
     WITH acted AS (
       SELECT *, CASE decision_source
           WHEN 'automated' THEN ${pick('ua', [
             ['remove', 55],
             ['limit_reach', 12],
             ['age_restrict', 8],
             ['warn', 5],
             ['no_violation', 20],
           ])}
           WHEN 'human' THEN ${pick('ua', [
             ['remove', 40],
             ['limit_reach', 10],
             ['age_restrict', 8],
             ['warn', 7],
             ['no_violation', 35],
           ])}
           ELSE ${pick('ua', [
             ['remove', 60],
             ['no_violation', 40],
           ])} END AS action
       FROM base_decisions
     ), planted AS (
       SELECT * FROM acted
       WHERE NOT (
         -- classifier outage: most automated actions disappear
         (decision_source = 'automated' AND action <> 'no_violation'
          AND event_time >= ${ts(outage.start)} AND event_time < ${ts(outage.end)} AND u(key, 'outage') < ${1 - outage.multiplier})
         -- enforcement gap: few removals of the gap policy in the gap slice
         OR (region = ${quoteString(gap.region)} AND surface = ${quoteString(gap.surface)} AND policy = ${quoteString(gap.policy)}
             AND action = 'remove' AND u(key, 'gap') >= ${gap.removalMultiplier})
       )
       UNION ALL
       -- spam wave: extra removals of spam and scam in the wave region
       SELECT event_time, hash(key, 'wave') AS key, region, ci, surface,
         CASE WHEN u(key, 'wp') < 0.5 THEN 'spam' ELSE 'scam_fraud' END AS policy, 'automated', ua, 'remove'
       FROM acted, range(${wave.multiplier - 1}) r(j)
       WHERE region = 'BR' AND event_time >= ${ts(wave.start)} AND event_time < ${ts(wave.end)}
       UNION ALL
       -- policy launch: stricter enforcement adds removals in the launch region
       SELECT event_time, hash(key, 'policy') AS key, region, ci, surface, policy, decision_source, ua, 'remove'
       FROM acted
       WHERE region = ${quoteString(s.policy.region)} AND action = 'remove'
         AND event_time >= ${ts(s.policy.launch)} AND u(key, 'launch') < ${s.policy.trueRelativeEffect}
     )
     SELECT event_time,
       'dec_' || CAST(key AS VARCHAR) AS decision_id,
       'c' || ci AS content_id, 'cr' || (ci % ${s.creators}) AS creator_id,
       surface, region, policy, action, decision_source,
       CASE WHEN decision_source = 'automated' THEN
         (CASE WHEN action = 'no_violation' THEN 0.7 * u(key, 'ms') ELSE 0.55 + 0.45 * pow(u(key, 'ms'), 0.6) END)
         * (CASE WHEN event_time >= ${ts(s.modelDrift.start)} THEN ${s.modelDrift.scoreMultiplier} ELSE 1.0 END)
       END AS model_score,
       round(CASE decision_source
         WHEN 'automated' THEN exp(0.5 + 0.8 * ${normal('key', 'lat')})
         WHEN 'human' THEN exp(7.5 + 1.0 * ${normal('key', 'lat')})
         ELSE exp(10 + 0.7 * ${normal('key', 'lat')}) END, 3) AS latency_seconds,
       CASE WHEN decision_source = 'appeal' THEN u(key, 'overturn') < 0.18 END AS appeal_overturned
     FROM planted`,

    rowsOf('user_reports', s.impressions * RATES.user_reports),
    `CREATE OR REPLACE TABLE base_reports AS
     SELECT ts + ${within('key')} AS event_time, key, region,
       ${userId('key', 'reporter', 3)} AS reporter_id,
       ${pick("u(key, 'surface')", SURFACES_REP)} AS surface,
       ${pick("u(key, 'reason')", REASONS)} AS reason
     FROM rows_user_reports
     UNION ALL
     -- spam wave: extra spam and scam reports in BR
     SELECT ts + ${within('key')}, hash(key, 'wave', j), region, ${userId('key', 'reporter', 3)}, ${pick("u(key, 'surface')", SURFACES_REP)},
       CASE WHEN u(key, 'wr') < 0.5 THEN 'spam' ELSE 'scam_fraud' END
     FROM rows_user_reports, range(${wave.multiplier - 1}) r(j)
     WHERE region = 'BR' AND ts >= ${ts(wave.start)} AND ts < ${ts(wave.end)}
     UNION ALL
     -- live report spike: extra reports on live everywhere
     SELECT ts + ${within('key')}, hash(key, 'spike', j), region, ${userId('key', 'reporter', 3)}, 'live', ${pick("u(key, 'reason')", REASONS)}
     FROM rows_user_reports, range(${spike.multiplier - 1}) r(j)
     WHERE u(key, 'surface') < 0.2 AND ts >= ${ts(spike.start)} AND ts < ${ts(spike.end)}`,
    `CREATE OR REPLACE TABLE gen_experiment_assignments AS
     SELECT ${ts(exp.start)} + to_microseconds(CAST(floor(u(unit_id, 'exposed') * ${exp.exposureDays * 86_400} * 1e6) AS BIGINT)) AS event_time,
       ${quoteString(exp.id)} AS experiment_id,
       CASE WHEN u(unit_id, 'variant') < ${exp.weights[0]} THEN ${quoteString(exp.variants[0]!)} ELSE ${quoteString(exp.variants[1]!)} END AS variant,
       unit_id, region,
       ${pick("u(unit_id, 'platform')", PLATFORMS)} AS platform
     FROM (SELECT DISTINCT region, 'u' || region || '_' || i AS unit_id
           FROM (SELECT region, n_users FROM hr WHERE h = 0), LATERAL (SELECT unnest(range(n_users)) AS i))
     WHERE u(unit_id, 'assigned') < ${exp.assignedShare}`,
    `CREATE OR REPLACE TABLE gen_user_reports AS
     WITH with_effect AS (
       SELECT * FROM base_reports
       UNION ALL
       -- A/B effect: treated units file more reports after their first exposure
       SELECT r.event_time + INTERVAL 17 MINUTE, hash(r.key, 'ab'), r.region, r.reporter_id, r.surface, r.reason
       FROM base_reports r JOIN gen_experiment_assignments a ON a.unit_id = r.reporter_id
       WHERE a.variant = ${quoteString(exp.variants[1]!)} AND r.event_time >= a.event_time
         AND r.event_time + INTERVAL 17 MINUTE < ${ts(exp.end)}
         AND u(r.key, 'ab') < ${exp.trueRelativeLift}
     ), statused AS (
       SELECT *,
         CASE WHEN event_time >= ${timestampLiteral(s.end)} - INTERVAL 2 DAY AND u(key, 'pending') < 0.5 THEN 'pending'
              WHEN u(key, 'pending') < 0.04 THEN 'pending'
              WHEN u(key, 'actioned') < (CASE WHEN reason = ${quoteString(s.weakReason.reason)} THEN ${s.weakReason.actionRate}
                                             WHEN reason IN ('spam', 'scam_fraud') THEN 0.55 ELSE 0.4 END) THEN 'actioned'
              ELSE 'dismissed' END AS status
       FROM with_effect
     )
     SELECT event_time, 'rep_' || CAST(key AS VARCHAR) AS report_id, reporter_id,
       ${pick("u(key, 'target')", [
         ['content', 75],
         ['account', 15],
         ['live', 10],
       ])} AS target_type,
       'c' || CAST(floor(${s.contents} * pow(u(key, 'tid'), 2)) AS BIGINT) AS target_id,
       surface, region, reason, status,
       CASE WHEN status <> 'pending' THEN event_time + to_microseconds(CAST(exp(9 + 1.2 * ${normal('key', 'res')}) * 1e6 AS BIGINT)) END AS resolved_time
     FROM statused`,

    rowsOf('account_events', s.impressions * RATES.account_events),
    `CREATE OR REPLACE TABLE gen_account_events AS
     WITH base AS (
       SELECT ts + ${within('key')} AS event_time, key, region, ${userId('key', 'account', 2)} AS account_id,
         ${pick("u(key, 'type')", [
           ['login_success', 74],
           ['login_failure', 8],
           ['signup', 8],
           ['password_reset', 9],
           ['account_takeover_flag', 0.5],
           ['ban', 0.5],
         ])} AS event_type,
         ${pick("u(key, 'platform')", PLATFORMS)} AS platform
       FROM rows_account_events
       UNION ALL
       -- credential stuffing: a burst of failed logins from web in one region
       SELECT ts + ${within('key')}, hash(key, 'stuff', j), region, 'u' || region || '_' || CAST(floor(n_users * u(key, 'victim' || j)) AS BIGINT),
         'login_failure', 'web'
       FROM rows_account_events, range(${stuffing.multiplier}) r(j)
       WHERE region = 'ID' AND ts >= ${ts(stuffing.start)} AND ts < ${ts(stuffing.end)}
     )
     SELECT event_time, account_id, event_type, region, platform,
       'd' || CAST(hash(account_id, platform) % 100000000 AS VARCHAR) AS device_id,
       CASE WHEN u(key, 'riskn') < 0.15 THEN NULL
            WHEN event_type = 'signup' THEN pow(u(key, 'risk'), 2.2)
            WHEN event_type IN ('account_takeover_flag', 'ban') THEN 0.5 + 0.5 * u(key, 'risk')
            ELSE pow(u(key, 'risk'), 4) END AS risk_score
     FROM base`,

    rowsOf('prevalence_labels', s.impressions * s.labelRate),
    `CREATE OR REPLACE TABLE gen_prevalence_labels AS
     WITH base AS (
       SELECT ts + ${within('key')} AS event_time, key, region,
         ${pick("u(key, 'surface')", [
           ['video', 40],
           ['live', 20],
           ['comment', 25],
           ['message', 15],
         ])} AS surface,
         ${pick("u(key, 'policy')", POLICIES)} AS vpolicy
       FROM rows_prevalence_labels
     ), judged AS (
       SELECT *, u(key, 'violating') < 0.006
           * (CASE surface WHEN 'live' THEN 1.6 WHEN 'comment' THEN 1.3 WHEN 'message' THEN 0.8 ELSE 1.0 END)
           * (CASE WHEN region = 'BR' AND vpolicy IN ('spam', 'scam_fraud') AND event_time >= ${ts(wave.start)} AND event_time < ${ts(wave.end)} THEN 8 ELSE 1 END)
           * (CASE WHEN region = ${quoteString(gap.region)} AND surface = ${quoteString(gap.surface)} THEN ${gap.prevalenceMultiplier} ELSE 1 END)
         AS is_violating
       FROM base
     )
     SELECT event_time, 'imp_l' || CAST(key AS VARCHAR) AS impression_id,
       'c' || ${contentIdx('key')} AS content_id, surface, region,
       CASE WHEN is_violating THEN (CASE WHEN region = ${quoteString(gap.region)} AND surface = ${quoteString(gap.surface)} AND u(key, 'gp') < 0.7
                                        THEN ${quoteString(gap.policy)} ELSE vpolicy END) END AS policy,
       is_violating,
       CASE surface ${Object.entries(LABEL_RATE)
         .map(([sf, p]) => `WHEN ${quoteString(sf)} THEN ${literal(1 / p)}`)
         .join(' ')} END AS sample_weight
     FROM judged`,
  ];
}

/** DuckDB COPY of a generated table to hive partitions, dropping the planted missing partitions. */
export function copySql(s: Scenario, source: string, dir: string): string {
  const missing = s.missingPartitions
    .filter((m) => m.source === source)
    .map((m) => `NOT (dt = ${quoteString(m.dt)} AND hour = ${quoteString(m.hour)})`);
  const where = missing.length ? `WHERE ${missing.join(' AND ')}` : '';
  return `COPY (
    SELECT * FROM (SELECT *, strftime(event_time, '%Y-%m-%d') AS dt, strftime(event_time, '%H') AS hour FROM gen_${source})
    ${where}
    ORDER BY event_time
  ) TO ${quoteString(dir)} (FORMAT parquet, PARTITION_BY (dt, hour), COMPRESSION snappy, FILENAME_PATTERN 'part_{i}', OVERWRITE_OR_IGNORE true)`;
}
