import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { VigilStack, type VigilStackProps } from '../../infra/vigil-stack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Synthesizes the stack in-process the way `cdk synth` does — cdk.json's context, bundling ON (local
 * esbuild, as infra/bundling.ts describes) — into `outdir`, and returns the assembly folder.
 */
export function synthStack(
  outdir: string,
  stackName: string,
  env: { account: string; region: string },
  context: Record<string, unknown> = {},
  props: Omit<VigilStackProps, 'env'> = {},
): string {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
  new VigilStack(app, stackName, { ...props, env });
  app.synth();
  return outdir;
}
