import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import {
  EXTERNAL_MODULES,
  esbuildOptions,
  FUNCTION_ENTRIES,
  type FunctionName,
} from '../../infra/bundling.js';

export interface Bundle {
  readonly name: FunctionName;
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles every handler exactly as the stack does (or with the AWS SDK inlined, for comparison). */
export async function bundleFunctions(
  root: string,
  outDir: string,
  external: readonly string[] = EXTERNAL_MODULES,
): Promise<Bundle[]> {
  await mkdir(outDir, { recursive: true });
  const out: Bundle[] = [];
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const file = path.join(outDir, `${name}.mjs`);
    const r = await build({ ...esbuildOptions(path.join(root, entry), file, external), absWorkingDir: root });
    const metafile = r.metafile!;
    // The bundle itself, not its external source map.
    const output = Object.entries(metafile.outputs).find(([k]) => k.endsWith('.mjs'))![1];
    out.push({ name, file, bytes: output.bytes, metafile });
  }
  return out;
}

/** Inputs of a bundle that come from a package matching `re` (e.g. /@duckdb|duckdb/). */
export function inputsMatching(b: Bundle, re: RegExp): string[] {
  return Object.keys(b.metafile.inputs).filter((k) => re.test(k));
}
