/**
 * The one description of how a handler is bundled, shared by the stack (NodejsFunction), the bundle
 * benchmark and the no-DuckDB test, so all three measure the same artefact.
 */
export const FUNCTION_ENTRIES = {
  hourly: 'functions/hourly.ts',
  daily: 'functions/daily.ts',
  rerun: 'functions/rerun.ts',
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/** Node.js 22 on Lambda; bundles are ESM with a `require` shim for the few CJS dependencies. */
export const BUNDLE_TARGET = 'node22';
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);";
/** Prefer ESM entry points: smaller bundles, better tree shaking. */
export const MAIN_FIELDS = ['module', 'main'];
/**
 * Not bundled: nothing. The AWS SDK v3 is bundled, pinned to the tested version (conditional S3
 * writes need a recent SDK) — and one bundle file initialises ~2× faster than resolving the SDK's
 * hundreds of modules (measured by `bench/lambda/run.ts`, which also builds the SDK-external
 * variant). DuckDB is neither external nor bundled: nothing a handler imports reaches it (a test
 * scans the metafile to prove it).
 */
export const EXTERNAL_MODULES: string[] = [];
/**
 * Packages replaced inside the bundles (paths relative to the project root, where esbuild runs):
 * the SDK's default credential chain by the environment credentials Lambda always sets
 * (functions/lib/lambda-credentials.ts says why), ~110 KB less in every bundle.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/lib/lambda-credentials.ts',
};
/** Node options of the deployed functions: stack traces through the external source maps to the TypeScript sources. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';
/** A bundle's size limit (minified JavaScript, source map excluded): test/infra/synth.test.ts holds each to it. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;
/**
 * License comments of the bundled packages go to `<bundle>.LEGAL.txt` beside the bundle, shipped in
 * the same asset, instead of the end of the JavaScript (the stdlib's Apache headers alone are ~80 KB).
 */
export const LEGAL_COMMENTS = 'external' as const;
/** BUNDLE_ALIASES and LEGAL_COMMENTS as NodejsFunction `esbuildArgs` (`--alias:from=to`). */
export const EXTRA_ESBUILD_ARGS = {
  '--alias': Object.entries(BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`),
  '--legal-comments': LEGAL_COMMENTS,
};

/** esbuild options equivalent to the NodejsFunction bundling below. */
export function esbuildOptions(
  entry: string,
  outfile: string,
  external: readonly string[] = EXTERNAL_MODULES,
) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: BUNDLE_TARGET,
    minify: true,
    keepNames: true,
    sourcemap: 'external' as const,
    sourcesContent: false,
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    external: [...external],
    alias: { ...BUNDLE_ALIASES },
    legalComments: LEGAL_COMMENTS,
    metafile: true,
    logLevel: 'silent' as const,
  };
}
