import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './lake.js';

/** Runs the built `vigil` bin (compiled JS, as users run it) and captures its output. */
export function vigil(
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'vigil.mjs'), ...args], {
    input,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The arguments of `vigil run metrics` over `lake`: one grain, [from, to), the CSV to write. */
export function runMetricsArgs(lake: string, grain: string, from: string, to: string, out: string): string[] {
  return ['run', 'metrics', '--lake', lake, '--grain', grain, '--from', from, '--to', to, '--out', out];
}
