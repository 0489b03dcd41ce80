import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import {
  EXTERNAL_MODULES,
  esbuildOptions,
  FUNCTION_ENTRIES,
  type FunctionName,
} from '../../infra/bundling.js';

export interface Bundle<N extends string = FunctionName> {
  readonly name: N;
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles one entry module exactly as the stack bundles a handler. */
export async function bundleEntry<N extends string>(
  root: string,
  name: N,
  entry: string,
  outDir: string,
  external: readonly string[] = EXTERNAL_MODULES,
): Promise<Bundle<N>> {
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.mjs`);
  const r = await build({ ...esbuildOptions(path.join(root, entry), file, external), absWorkingDir: root });
  const metafile = r.metafile!;
  // The bundle itself, not its external source map.
  const output = Object.entries(metafile.outputs).find(([k]) => k.endsWith('.mjs'))![1];
  return { name, file, bytes: output.bytes, metafile };
}

/** Bundles every handler exactly as the stack does (or with the AWS SDK external, for comparison). */
export async function bundleFunctions(
  root: string,
  outDir: string,
  external: readonly string[] = EXTERNAL_MODULES,
): Promise<Bundle[]> {
  const out: Bundle[] = [];
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][])
    out.push(await bundleEntry(root, name, entry, outDir, external));
  return out;
}

/** Inputs whose code is in the bundle (imported and not tree-shaken away), with the bytes each adds. */
export function bundledInputs(b: Bundle<string>, re: RegExp = /./): { path: string; bytes: number }[] {
  const output = Object.entries(b.metafile.outputs).find(([k]) => k.endsWith('.mjs'))![1];
  return Object.entries(output.inputs)
    .filter(([k, v]) => v.bytesInOutput > 0 && re.test(k))
    .map(([path, v]) => ({ path, bytes: v.bytesInOutput }));
}

/** Inputs of a bundle that come from a package matching `re` (e.g. /@duckdb|duckdb/), shaken away or not. */
export function inputsMatching(b: Bundle<string>, re: RegExp): string[] {
  return Object.keys(b.metafile.inputs).filter((k) => re.test(k));
}
