import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunctions, inputsMatching } from '../../bench/lambda/bundle.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const out = mkdtempSync(path.join(tmpdir(), 'vigil-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('Lambda bundles', () => {
  it('never contain DuckDB (metafile scan) and stay small', async () => {
    const bundles = await bundleFunctions(ROOT, path.join(out, 'bundles'));
    expect(bundles.map((b) => b.name)).toEqual(['hourly', 'daily', 'rerun']);
    for (const b of bundles) {
      expect(inputsMatching(b, /duckdb/i), b.name).toEqual([]);
      expect(inputsMatching(b, /shared\/adapters\/(fs|duckdb)\//), b.name).toEqual([]);
      expect(b.bytes, b.name).toBeLessThan(1.5 * 1024 * 1024);
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
      expect(readFileSync(file, 'utf8')).not.toContain('@duckdb/node-api');
    }
  }, 120_000);
});
