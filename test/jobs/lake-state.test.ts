import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { coreCatalog } from '../../shared/config/load.js';
import { sameInputs, settledEnd, windowInputs } from '../../shared/jobs/lake-state.js';
import { SCHEDULE } from '../../shared/jobs/schedule.js';
import { windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT } from '../helpers/lake.js';

const lake = path.join(TMP_ROOT, 'lake-state');
const cfg = coreCatalog();
const now = new Date('2026-01-05T10:20:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

function put(source: string, hour: string, name: string, modified: Date, body = 'x'): string {
  const dir = path.join(lake, source, 'dt=2026-01-05', `hour=${hour}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, body);
  utimesSync(file, modified, modified);
  return file;
}

beforeEach(() => rmSync(lake, { recursive: true, force: true }));

describe('completeness watermark', () => {
  const windows = windowsInRange('hour', new Date('2026-01-05T07:00:00Z'), new Date('2026-01-05T10:00:00Z'));
  const inv = () => new FsLakeInventory(lake);

  it('holds back the first window with a partition written in the last quiet minutes', async () => {
    for (const h of ['07', '08', '09']) put('impressions', h, 'a.parquet', minutesAgo(120));
    put('user_reports', '09', 'b.parquet', minutesAgo(3)); // still being written
    const r = await settledEnd(inv(), cfg, ['impressions', 'user_reports'], windows, now, SCHEDULE.hour);
    expect(r.end).toEqual(new Date('2026-01-05T09:00:00Z'));
    expect(r.unsettled).toEqual({
      source: 'user_reports',
      partition: 'dt=2026-01-05/hour=09',
      lastWrite: minutesAgo(3).toISOString(),
    });
  });

  it('a _SUCCESS marker settles a partition at once; quiet partitions and empty ones are settled', async () => {
    put('user_reports', '09', 'b.parquet', minutesAgo(1));
    put('user_reports', '09', '_SUCCESS', minutesAgo(1), '');
    put('impressions', '08', 'a.parquet', minutesAgo(SCHEDULE.hour.quietMinutes + 1));
    const r = await settledEnd(inv(), cfg, ['impressions', 'user_reports'], windows, now, SCHEDULE.hour);
    expect(r.end).toEqual(new Date('2026-01-05T10:00:00Z'));
    expect(r.unsettled).toBeUndefined();
  });
});

describe('partition fingerprints', () => {
  it('change when an object lands, grows or is replaced; not for markers', async () => {
    const w = windowsInRange('hour', new Date('2026-01-05T08:00:00Z'), new Date('2026-01-05T09:00:00Z'))[0]!;
    const file = put('impressions', '08', 'a.parquet', minutesAgo(90));
    const fp = () => windowInputs(new FsLakeInventory(lake), cfg, ['impressions', 'user_reports'], w);
    const first = await fp();
    expect(first.impressions).toMatchObject({ objects: 1, bytes: 1 });
    expect(first.user_reports).toMatchObject({ objects: 0, bytes: 0 });
    put('impressions', '08', '_SUCCESS', minutesAgo(80), '');
    expect(sameInputs(first, await fp())).toBe(true);
    put('impressions', '08', 'late.parquet', minutesAgo(10));
    const second = await fp();
    expect(sameInputs(first, second)).toBe(false);
    writeFileSync(file, 'xy'); // rewritten in place
    expect(sameInputs(second, await fp())).toBe(false);
    expect(sameInputs(undefined, second)).toBe(false);
  });
});
