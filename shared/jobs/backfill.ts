import type { MetricConfig } from '../config/schema.js';
import { evaluatePlan } from '../metrics/evaluate.js';
import {
  covers,
  decodeIntermediates,
  encodeIntermediates,
  type MergedValues,
  mergeIntermediates,
  type SourceIntermediates,
  windowIntermediates,
} from '../metrics/intermediates.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { MetricStore, PartitionFingerprint, WindowManifest } from '../metrics/metric-store.js';
import { type MetricPlan, planMetrics, withIntermediates } from '../metrics/plan.js';
import type { Clock } from '../ports/clock.js';
import type { Deadline } from '../ports/deadline.js';
import { type LakeInventory, memoizedInventory } from '../ports/lake-inventory.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine, QueryResult } from '../ports/query-engine.js';
import { checkRows, type RowQualityWarning } from '../quality/row-checks.js';
import { formatIso, type Grain, type Window, windowsInRange } from '../time/window.js';
import {
  batchWindows,
  computeMetrics,
  contiguousRuns,
  runPlanScans,
  type ScanStat,
} from './compute-metrics.js';
import { checkBudget, runBudgetBytes, type ScanBudget } from './cost.js';
import { sameInputs, windowInputs } from './lake-state.js';
import { type Lease, LeaseManager, type LeaseOptions } from './lease.js';
import { mapWithConcurrency } from './pool.js';
import {
  nonAdditivePlan,
  parseAggregates,
  planOfSources,
  planSignature,
  rollUp,
  type StoredAggregates,
  storedResults,
  windowAggregates,
} from './rollup.js';

export interface BackfillOptions {
  readonly engine: QueryEngine;
  readonly store: MetricStore;
  readonly config: MetricConfig;
  readonly grain: Grain;
  readonly windows: readonly Window[];
  readonly clock: Clock;
  readonly concurrency?: number;
  /** Windows computed by one plan (one scan per source); a day of hours by default. */
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Leases windows in this store before computing them (shared/jobs/lease.ts): a window another run
   * holds is skipped and reported in `skipped` (not failed); that run writes it.
   */
  readonly lease?: LeaseOptions & { readonly store: ObjectStore };
  /** Also runs the row-level data-quality checks (shared/quality/row-checks.ts) of each batch. */
  readonly rowChecks?: boolean;
  /**
   * The invocation's deadline: every query is bounded by it, no batch starts past it, and leases
   * last no longer than it (plus a margin), so a killed run's windows free up quickly.
   */
  readonly deadline?: Deadline;
  /**
   * The lake's objects. With it each window's manifest records the fingerprints of the partitions
   * it was computed from (shared/jobs/lake-state.ts), and `incremental` and `budget` work.
   */
  readonly inventory?: LakeInventory;
  /**
   * Skip windows whose stored rows were computed by the same plan from partitions that have not
   * changed since (late-data recomputation rescans only what changed). Needs `inventory`.
   */
  readonly incremental?: boolean;
  /**
   * Day windows: roll additive aggregates up from the stored hourly ones and merge distinct counts
   * and percentiles from the hours' stored intermediates (recomputing any stale hour first), scanning
   * raw events only for a source whose hours lack them (shared/jobs/rollup.ts).
   */
  readonly rollup?: boolean;
  /** Refuse, before any scan, a run that would read more than the lake's size allows. Needs `inventory`. */
  readonly budget?: ScanBudget;
  /** Every scan, as it finishes (bytes scanned, range read). */
  readonly onScan?: (scan: ScanStat) => void;
}

export interface BackfillSummary {
  readonly windows: number;
  readonly written: number;
  readonly rows: number;
  readonly scans: number;
  /** Bytes the scans read (Athena: billed; DuckDB: estimated from the partition files). */
  readonly bytesScanned: number;
  /** Bytes scanned per query, for the cost (shared/jobs/cost.ts: scanCost). */
  readonly queryBytes?: readonly number[];
  /** Windows another run had meanwhile stored from a later scan: kept, ours dropped. */
  readonly superseded: number;
  /** Windows left as stored: same plan, unchanged partitions (`incremental`). */
  readonly unchanged?: number;
  /** Day windows rolled up from hourly aggregates (`rollup`). */
  readonly rolledUp?: number;
  readonly failed: readonly { readonly window: string; readonly error: string }[];
  /** Windows held by another run's lease: not computed here, not a failure. */
  readonly skipped: readonly {
    readonly window: string;
    readonly heldBy: string;
    readonly expiresAt: string;
  }[];
  /** Row-level data-quality warnings (with `rowChecks`). */
  readonly warnings: readonly RowQualityWarning[];
}

/**
 * The end up to which windows are safe to judge: the start of the earliest window that failed or
 * that another run holds (its stored metrics may be stale), else `end`.
 */
export function judgeableEnd(summary: BackfillSummary, end: Date): Date {
  const blocked = [...summary.failed.map((f) => f.window), ...summary.skipped.map((s) => s.window)].sort();
  return blocked.length > 0 ? new Date(blocked[0]!) : end;
}

type Inputs = Record<string, PartitionFingerprint>;

/**
 * Computes and stores every window; idempotent (each window is replaced whole). Failures are
 * reported per window, not hidden: the caller exits non-zero when any window failed.
 */
export async function runBackfill(o: BackfillOptions): Promise<BackfillSummary> {
  const batches = batchWindows(o.windows, o.batchSize ?? (o.grain === 'hour' ? 24 : 7));
  let done = 0;
  let rows = 0;
  let written = 0;
  let superseded = 0;
  let unchanged = 0;
  let rolledUp = 0;
  const queryBytes: number[] = [];
  const failed: { window: string; error: string }[] = [];
  const skipped: { window: string; heldBy: string; expiresAt: string }[] = [];
  const warnings: RowQualityWarning[] = [];
  const remaining = o.deadline?.remainingMs() ?? Number.POSITIVE_INFINITY;
  // A lease outliving the invocation only delays the next run after a crash.
  const ttlMs = Number.isFinite(remaining)
    ? Math.min(o.lease?.ttlMs ?? 15 * 60_000, remaining + 60_000)
    : o.lease?.ttlMs;
  const leaseOptions = o.lease ? { ...o.lease, ...(ttlMs !== undefined ? { ttlMs } : {}) } : undefined;
  const leases = leaseOptions ? new LeaseManager(leaseOptions.store, o.clock, leaseOptions) : undefined;
  const leaseName = (w: Window) =>
    `metrics/grain=${o.grain}/window=${formatIso(w.start).replaceAll(':', '')}`;
  const deadline = o.deadline ? { deadline: o.deadline } : {};
  const inventory = o.inventory ? memoizedInventory(o.inventory) : undefined;
  const shape = planMetrics(o.config, o.grain, new Date(0), new Date(0));
  const signature = planSignature(shape, o.config);
  const sources = shape.scans.map((s) => s.source);
  // Without an inventory stale hours cannot be told apart: every day would rescan its 24 hours.
  const rollup = o.rollup === true && o.grain === 'day' && inventory !== undefined;
  // Hourly windows keep their non-additive aggregates' intermediates, which days merge.
  const hourly = o.grain === 'hour';
  const onScan = (s: ScanStat) => {
    queryBytes.push(s.bytesScanned ?? 0);
    o.onScan?.(s);
  };

  const inputsOf = async (w: Window): Promise<Inputs | undefined> =>
    inventory ? windowInputs(inventory, o.config, sources, w) : undefined;
  const isCurrent = (m: WindowManifest | undefined, inputs: Inputs | undefined) =>
    o.incremental === true && inputs !== undefined && m?.plan === signature && sameInputs(m.inputs, inputs);

  if (o.budget && inventory) await checkRunBudget();

  // Windows with an outcome (skipped, stored, unchanged, failed): a batch error fails only the rest.
  const settled = new Set<number>();
  const results = await mapWithConcurrency(batches, o.concurrency ?? 2, async (all) => {
    const held: Lease[] = [];
    try {
      o.deadline?.check(`${o.grain} windows from ${formatIso(all[0]!.start)} not computed`);
      let batch = all;
      if (leases) {
        batch = [];
        for (const w of all) {
          const got = await leases.acquire(leaseName(w));
          if (got.acquired) {
            held.push(got.lease);
            batch.push(w);
          } else {
            settled.add(w.start.getTime());
            skipped.push({ window: formatIso(w.start), heldBy: got.heldBy, expiresAt: got.expiresAt });
            o.onProgress?.(++done, o.windows.length);
          }
        }
      }
      await computeBatch(batch);
    } finally {
      await Promise.all(held.map((l) => leases!.release(l).catch(() => false)));
    }
  });

  /** Estimates the bytes the run would scan (windows not current) and refuses it over budget. */
  async function checkRunBudget(): Promise<void> {
    let bytes = 0;
    const scanned: Window[] = [];
    const manifests = await o.store.manifests(o.grain, o.windows[0]!.start, o.windows.at(-1)!.end);
    const rawSources = rollup ? new Set(nonAdditivePlan(shape).scans.map((s) => s.source)) : undefined;
    for (const w of o.windows) {
      const inputs = (await inputsOf(w))!;
      if (isCurrent(manifests.get(w.start.getTime()), inputs)) continue;
      scanned.push(w);
      for (const [source, fp] of Object.entries(inputs))
        if (!rawSources || rawSources.has(source)) bytes += fp.bytes;
    }
    checkBudget(
      `${o.grain} run of ${o.windows.length} windows from ${formatIso(o.windows[0]!.start)}`,
      bytes,
      runBudgetBytes(o.budget!, scanned),
    );
  }

  async function store(
    w: Window,
    windowRows: MetricRow[],
    computedAt: Date,
    extra: {
      inputs?: Inputs;
      aggregates?: string;
      intermediates?: Uint8Array;
    },
  ): Promise<void> {
    try {
      const outcome = await o.store.writeWindow(o.grain, w.start, windowRows, o.clock.now(), {
        computedAt,
        plan: signature,
        ...extra,
      });
      if (outcome.written) rows += windowRows.length;
      else superseded++;
      written++;
    } catch (err) {
      failed.push({ window: formatIso(w.start), error: err instanceof Error ? err.message : String(err) });
    }
    settled.add(w.start.getTime());
    o.onProgress?.(++done, o.windows.length);
  }

  async function computeBatch(batch: Window[]): Promise<void> {
    if (batch.length === 0) return;
    // Fingerprints are taken before the scan: data landing during it makes the next run rescan.
    const inputs = new Map<number, Inputs | undefined>();
    const stale: Window[] = [];
    for (const w of batch) {
      const fp = await inputsOf(w);
      inputs.set(w.start.getTime(), fp);
      const m = o.incremental ? await o.store.readManifest(o.grain, w.start) : undefined;
      if (isCurrent(m, fp)) {
        unchanged++;
        written++;
        settled.add(w.start.getTime());
        o.onProgress?.(++done, o.windows.length);
      } else if (rollup) await computeDay(w, fp, m);
      else if (!(await computePartial(w, fp, m))) stale.push(w);
    }
    for (const run of contiguousRuns(stale)) {
      const computedAt = o.clock.now();
      const computed = await computeMetrics(o.engine, o.config, o.grain, run, {
        ...deadline,
        intermediates: hourly,
      });
      computed.scans.forEach(onScan);
      if (o.rowChecks) {
        const scanned = [...new Set(computed.scans.map((x) => x.source))].sort();
        warnings.push(
          ...(await checkRows(o.engine, o.config, scanned, run[0]!.start, run[run.length - 1]!.end)),
        );
      }
      const byWindow = new Map<number, MetricRow[]>(run.map((w) => [w.start.getTime(), []]));
      for (const r of computed.rows) byWindow.get(r.windowStart.getTime())?.push(r);
      for (const w of run) {
        const ms = w.start.getTime();
        const fp = inputs.get(ms);
        await store(w, byWindow.get(ms) ?? [], computedAt, {
          ...(fp ? { inputs: fp } : {}),
          // What day windows roll up from, and what a partial recompute reuses.
          aggregates: windowAggregates(computed.plan, signature, computed.results, ms),
          ...intermediatesOf(computed.plan, computed.keys, new Map(), ms),
        });
      }
    }
  }

  /**
   * The encoded intermediates of one window of an hourly plan: from the scan's intermediate rows
   * (`keys`) and, for sources not rescanned, as stored (`kept`). None for other grains.
   */
  function intermediatesOf(
    plan: MetricPlan,
    keys: ReadonlyMap<string, QueryResult>,
    kept: ReadonlyMap<string, SourceIntermediates>,
    ms: number,
  ): { intermediates?: Uint8Array } {
    if (!plan.intermediates) return {};
    const sources: Record<string, SourceIntermediates> = {};
    for (const scan of plan.scans) {
      const k = keys.get(scan.source);
      const stored = kept.get(scan.source);
      if (k) sources[scan.source] = windowIntermediates(scan, k, ms);
      else if (stored) sources[scan.source] = stored;
    }
    return { intermediates: encodeIntermediates(signature, sources) };
  }

  async function intermediatesStored(
    m: WindowManifest,
  ): Promise<Readonly<Record<string, SourceIntermediates>> | undefined> {
    const bytes = await o.store.readIntermediates(m);
    return bytes ? decodeIntermediates(bytes, signature) : undefined;
  }

  /** Sources whose partitions changed since `m` was stored; undefined when `m` cannot be reused. */
  function changedSources(m: WindowManifest | undefined, fp: Inputs | undefined): Set<string> | undefined {
    if (!o.incremental || !fp || !m?.inputs || m.plan !== signature || !m.aggregates) return undefined;
    return new Set(sources.filter((s) => m.inputs![s]?.hash !== fp[s]?.hash));
  }

  async function storedOf(m: WindowManifest): Promise<StoredAggregates | undefined> {
    const text = await o.store.readAggregates(m);
    return text ? parseAggregates(text, signature) : undefined;
  }

  /**
   * Recomputes a window whose partitions changed in some sources only: those are rescanned, the
   * others' aggregates are taken from what the window stored. False when it cannot (then: full scan).
   */
  async function computePartial(
    w: Window,
    fp: Inputs | undefined,
    m: WindowManifest | undefined,
  ): Promise<boolean> {
    const changed = changedSources(m, fp);
    if (!changed || changed.size === sources.length) return false;
    const stored = await storedOf(m!);
    if (!stored) return false;
    const computedAt = o.clock.now();
    const ms = w.start.getTime();
    const planned = planMetrics(o.config, o.grain, w.start, w.end);
    const plan = hourly ? withIntermediates(planned) : planned;
    // An hour passes its unchanged sources' intermediates on; a source whose intermediates are gone
    // (expired, or stored before them) is rescanned with the changed ones.
    const keys = hourly ? await intermediatesStored(m!) : undefined;
    const rescan = new Set(changed);
    if (hourly)
      for (const scan of plan.scans) if (!covers(scan, keys?.[scan.source])) rescan.add(scan.source);
    if (rescan.size === sources.length) return false;
    const keptSources = new Set(sources.filter((s) => !rescan.has(s)));
    const kept = storedResults(plan, stored, keptSources, ms);
    if (!kept) return false;
    const keptKeys = new Map<string, SourceIntermediates>();
    for (const s of keptSources) if (keys?.[s]) keptKeys.set(s, keys[s]);
    const raw = await runPlanScans(o.engine, o.config, planOfSources(plan, rescan), deadline);
    raw.scans.forEach(onScan);
    const results = new Map([...kept, ...raw.results]);
    await store(w, evaluatePlan(plan, results, [w]), computedAt, {
      ...(fp ? { inputs: fp } : {}),
      aggregates: windowAggregates(plan, signature, results, ms),
      ...intermediatesOf(plan, raw.keys, keptKeys, ms),
    });
    return true;
  }

  /**
   * One day from its hours' stored aggregates plus a scan of its non-additive aggregates — only of
   * the sources whose partitions changed since the day was stored (the rest are the day's own).
   */
  async function computeDay(
    day: Window,
    inputs: Inputs | undefined,
    m: WindowManifest | undefined,
  ): Promise<void> {
    const computedAt = o.clock.now();
    const ms = day.start.getTime();
    const hours = windowsInRange('hour', day.start, day.end);
    // Hours missing, of another plan, or with changed partitions are recomputed first (and stored:
    // the hourly metrics get the late data too). They share the hourly job's leases.
    const { budget: _budget, onProgress: _progress, ...rest } = o;
    const refreshed = await runBackfill({
      ...rest,
      grain: 'hour',
      windows: hours,
      incremental: o.inventory !== undefined,
      rollup: false,
      rowChecks: false,
      concurrency: 1,
      batchSize: 24,
      onScan,
    });
    const manifests = await o.store.manifests('hour', day.start, day.end);
    const parts: StoredAggregates[] = [];
    const hourKeys: (Readonly<Record<string, SourceIntermediates>> | undefined)[] = [];
    for (const h of hours) {
      const hm = manifests.get(h.start.getTime());
      const parsed = hm && hm.plan === signature ? await storedOf(hm) : undefined;
      if (!parsed) break;
      parts.push(parsed);
      hourKeys.push(await intermediatesStored(hm!));
    }
    const plan = planMetrics(o.config, 'day', day.start, day.end);
    let results: Map<string, QueryResult>;
    if (refreshed.failed.length === 0 && refreshed.skipped.length === 0 && parts.length === hours.length) {
      const nonAdditive = nonAdditivePlan(plan);
      // Distinct counts and percentiles merged from the 24 hours' intermediates, where all have them.
      const merged = new Map<string, MergedValues>();
      for (const scan of nonAdditive.scans) {
        const perHour = hourKeys.map((k) => k?.[scan.source]);
        if (perHour.every((x) => covers(scan, x)))
          merged.set(scan.source, mergeIntermediates(scan, perHour as SourceIntermediates[]));
      }
      const changed = changedSources(m, inputs);
      const stored = changed ? await storedOf(m!) : undefined;
      const keptSources = new Set(
        nonAdditive.scans
          .map((x) => x.source)
          .filter((x) => !merged.has(x) && stored !== undefined && !changed!.has(x)),
      );
      const kept = stored ? (storedResults(nonAdditive, stored, keptSources, ms) ?? new Map()) : new Map();
      const toScan = new Set(
        nonAdditive.scans.map((x) => x.source).filter((x) => !merged.has(x) && !kept.has(x)),
      );
      const raw = await runPlanScans(o.engine, o.config, planOfSources(nonAdditive, toScan), deadline);
      raw.scans.forEach(onScan);
      results = rollUp(plan, parts, new Map([...kept, ...raw.results]), ms, merged);
      rolledUp++;
    } else {
      // An hour could not be refreshed (held by another run, failed): scan the day itself.
      const raw = await runPlanScans(o.engine, o.config, plan, deadline);
      raw.scans.forEach(onScan);
      results = raw.results;
    }
    await store(day, evaluatePlan(plan, results, [day]), computedAt, {
      ...(inputs ? { inputs } : {}),
      aggregates: windowAggregates(plan, signature, results, ms),
    });
  }

  results.forEach((r, i) => {
    if (r.ok) return;
    const message = r.error instanceof Error ? r.error.message : String(r.error);
    // Windows leased by another run are in `skipped`, not failed; stored ones stay stored.
    for (const w of batches[i]!.filter((x) => !settled.has(x.start.getTime()))) {
      failed.push({ window: formatIso(w.start), error: message });
      o.onProgress?.(++done, o.windows.length);
    }
  });
  failed.sort((a, b) => a.window.localeCompare(b.window));
  skipped.sort((a, b) => a.window.localeCompare(b.window));
  return {
    windows: o.windows.length,
    written,
    rows,
    scans: queryBytes.length,
    bytesScanned: queryBytes.reduce((a, b) => a + b, 0),
    queryBytes,
    superseded,
    unchanged,
    rolledUp,
    failed,
    skipped,
    warnings,
  };
}
