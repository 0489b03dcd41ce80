import { spawn } from 'node:child_process';
import { STACK_OUTPUTS, type StackOutputs } from './steps.js';

/** Smoke stacks are named `VigilSmoke<yyyyMMddHHmm><4 random>`: nothing else is ever destroyed. */
export const SMOKE_STACK_RE = /^VigilSmoke\d{12}[a-z0-9]{4}$/;

export function smokeStackName(now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const name = `VigilSmoke${stamp}${random
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 4)}`;
  if (!SMOKE_STACK_RE.test(name))
    throw new Error(`smoke stack name ${name} does not match ${SMOKE_STACK_RE}`);
  return name;
}

export interface CdkTarget {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
}

export interface CdkCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the environment: the account and region the preflight resolved, so the CLI uses the same. */
  readonly env: Readonly<Record<string, string>>;
}

function targetEnv(t: CdkTarget): Record<string, string> {
  return {
    AWS_REGION: t.region,
    AWS_DEFAULT_REGION: t.region,
    CDK_DEFAULT_ACCOUNT: t.account,
    CDK_DEFAULT_REGION: t.region,
  };
}

function checked(t: CdkTarget): CdkTarget {
  if (!SMOKE_STACK_RE.test(t.stackName))
    throw new Error(
      `stack ${t.stackName} is not a smoke stack (${SMOKE_STACK_RE}); smoke:aws deploys and destroys only its own`,
    );
  return t;
}

/**
 * `cdk deploy` of the one stack under the smoke's name (infra/app.ts reads `vigil:stackName`), the
 * built-in core catalog, no approval prompt, outputs written to a file, tagged as a smoke stack.
 */
export function deployCommand(t: CdkTarget, outputsFile: string): CdkCommand {
  checked(t);
  return {
    command: 'npx',
    args: [
      'cdk',
      'deploy',
      t.stackName,
      '--context',
      `vigil:stackName=${t.stackName}`,
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
      '--tags',
      'vigil:smoke=true',
      '--progress',
      'events',
    ],
    env: targetEnv(t),
  };
}

/** `cdk destroy` of that stack only, without a prompt. */
export function destroyCommand(t: CdkTarget): CdkCommand {
  checked(t);
  return {
    command: 'npx',
    args: ['cdk', 'destroy', t.stackName, '--context', `vigil:stackName=${t.stackName}`, '--force'],
    env: targetEnv(t),
  };
}

/** Runs a CDK command in the project root with its output shown; rejects on a non-zero exit. */
export function runCdk(c: CdkCommand, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(c.command, [...c.args], { cwd, stdio: 'inherit', env: { ...process.env, ...c.env } });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${c.args.slice(0, 2).join(' ')} exited with ${signal ?? code}`)),
    );
  });
}

/** The stack outputs from `cdk deploy --outputs-file` (`{"<stack>": {"<output>": "…"}}`). */
export function parseOutputs(json: string, stackName: string): StackOutputs {
  let all: Record<string, Record<string, string>>;
  try {
    all = JSON.parse(json) as typeof all;
  } catch {
    throw new Error('cdk outputs file: not JSON');
  }
  const o = all[stackName];
  if (!o) throw new Error(`cdk outputs file: no outputs of stack ${stackName}`);
  const missing = STACK_OUTPUTS.filter((k) => typeof o[k] !== 'string' || o[k] === '');
  if (missing.length > 0) throw new Error(`cdk outputs file: stack ${stackName} lacks ${missing.join(', ')}`);
  return Object.fromEntries(STACK_OUTPUTS.map((k) => [k, o[k]!])) as StackOutputs;
}
