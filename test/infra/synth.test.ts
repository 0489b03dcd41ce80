import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledInputs, bundleFunctions, inputsMatching } from '../../bench/lambda/bundle.js';
import { MAX_BUNDLE_BYTES } from '../../infra/bundling.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const out = mkdtempSync(path.join(tmpdir(), 'vigil-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/**
 * Modules only the daily job runs: experiment and policy readouts, their statistics (the stdlib
 * distributions), the report. The hourly detection needs the Poisson and binomial tails alone (shared/stats/{poisson,binomial}-tails.ts).
 */
const DAILY_ONLY =
  /shared\/policy\/|shared\/stats\/(?!(poisson|binomial)-tails\.ts)|shared\/experiments\/analyze|shared\/report\/(render|svg-chart|forest-plot)|shared\/jobs\/daily-tick|@stdlib\/stats-base-dists-(t|f|chisquare|binomial)-/;

describe('Lambda bundles', () => {
  const bundles = bundleFunctions(ROOT, path.join(out, 'bundles'));

  it('never contain DuckDB (metafile scan) and stay within 1 MB each', async () => {
    const bs = await bundles;
    expect(bs.map((b) => b.name)).toEqual(['hourly', 'daily', 'rerun']);
    for (const b of bs) {
      expect(inputsMatching(b, /duckdb/i), b.name).toEqual([]);
      expect(inputsMatching(b, /shared\/adapters\/(fs|duckdb)\//), b.name).toEqual([]);
      expect(b.bytes, b.name).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    }
  });

  it('hold only what their job runs: the readouts and the report only in the daily bundle', async () => {
    const bs = await bundles;
    const byName = Object.fromEntries(bs.map((b) => [b.name, b]));
    expect(bundledInputs(byName.daily!, DAILY_ONLY).length).toBeGreaterThan(10);
    expect(bundledInputs(byName.hourly!, DAILY_ONLY)).toEqual([]);
    expect(bundledInputs(byName.rerun!, DAILY_ONLY)).toEqual([]);
  });

  it('carry no X-Ray SDK and no credential providers Lambda never uses', async () => {
    for (const b of await bundles) {
      expect(inputsMatching(b, /aws-xray-sdk|cls-hooked/), b.name).toEqual([]);
      expect(
        inputsMatching(
          b,
          /@aws-sdk\/(nested-clients|credential-provider-(node|ini|sso|process|web-identity))\//,
        ),
        b.name,
      ).toEqual([]);
      expect(inputsMatching(b, /functions\/lib\/lambda-credentials/), b.name).toHaveLength(1);
    }
  });
});

describe('npx cdk synth', () => {
  it('synthesises offline with local esbuild bundling and cdk-nag, once', () => {
    execFileSync('npx', ['cdk', 'synth', '-q', '--no-notices', '--output', path.join(out, 'cdk.out')], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DEFAULT_ACCOUNT: '123456789012',
        CDK_DEFAULT_REGION: 'eu-west-1',
      },
      stdio: 'pipe',
      timeout: 120_000,
    });
    const dir = path.join(out, 'cdk.out');
    const template = JSON.parse(readFileSync(path.join(dir, 'Vigil.template.json'), 'utf8'));
    // The three jobs, besides CDK's custom-resource provider that deploys the config.
    const fns = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { Description?: string } }>,
    ).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith('Vigil '));
    expect(fns).toHaveLength(3);
    const assets = readdirSync(dir).filter(
      (d) => d.startsWith('asset.') && existsSync(path.join(dir, d, 'index.mjs')),
    );
    expect(assets).toHaveLength(3);
    for (const a of assets) {
      const file = path.join(dir, a, 'index.mjs');
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).size).toBeGreaterThan(100_000);
      // The deployed artefact itself within the limit, built with the same aliases as the bench.
      expect(statSync(file).size, a).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
      const code = readFileSync(file, 'utf8');
      expect(code).not.toContain('@duckdb/node-api');
      expect(code).not.toContain('defaultProvider::fromSSO');
      expect(existsSync(`${file}.map`), a).toBe(true);
      // The bundled packages' license notices ship beside the bundle.
      expect(readFileSync(`${file}.LEGAL.txt`, 'utf8'), a).toContain('@license Apache-2.0');
    }
  }, 120_000);
});
