import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import {
  deployCommand,
  destroyCommand,
  parseOutputs,
  runCdk,
  SMOKE_STACK_RE,
  smokeStackName,
} from './cdk.js';
import { leftoversOf, listStackResources, removeLeftovers, type StackResource } from './cleanup.js';
import { destroyClients, smokeClients } from './clients.js';
import { QUEUE_PREFIX } from './policy.js';
import { preflight, SetupError } from './preflight.js';
import { runSmoke, SMOKE_SCENARIO } from './steps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = `usage: npm run smoke:aws [-- --keep] [-- --destroy VigilSmoke…]
  Deploys a sandbox Vigil stack (VigilSmoke<time><id>) to the account and region of your AWS
  credentials, runs the jobs on a generated lake, checks what they wrote and the alert, then
  destroys the stack and everything it left.
  --keep            leave the stack deployed (prints how to destroy it later)
  --destroy NAME    only destroy the smoke stack NAME and its leftovers (after --keep or an interrupt)`;

const log = (line: string) => process.stdout.write(`smoke:aws ${line}\n`);

async function destroy(
  stackName: string,
  account: string,
  region: string,
  known?: StackResource[],
): Promise<string[]> {
  const cfn = new CloudFormationClient({ region });
  // What destroy retains is known only while the stack exists.
  const resources = known ?? (await listStackResources(cfn, stackName).catch(() => []));
  cfn.destroy();
  log(`destroy: cdk destroy ${stackName}`);
  await runCdk(destroyCommand({ stackName, account, region }), ROOT);
  const c = {
    s3: new S3Client({ region }),
    kms: new KMSClient({ region }),
    logs: new CloudWatchLogsClient({ region }),
  };
  try {
    return await removeLeftovers(c, leftoversOf(resources), { rounds: 6, waitMs: 20_000, log });
  } finally {
    for (const x of Object.values(c)) x.destroy();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean' },
      destroy: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.destroy !== undefined && !SMOKE_STACK_RE.test(values.destroy))
    throw new SetupError(`--destroy: '${values.destroy}' is not a smoke stack name (${SMOKE_STACK_RE})`);
  const sts = new STSClient({});
  const ssm = new SSMClient({});
  const { account, region } = await preflight(sts, ssm).finally(() => {
    sts.destroy();
    ssm.destroy();
  });
  if (values.destroy !== undefined) {
    const errors = await destroy(values.destroy, account, region);
    for (const e of errors) log(`left behind: ${e}`);
    return errors.length ? 1 : 0;
  }

  const stackName = smokeStackName(new Date(), randomBytes(4).toString('hex'));
  const id = stackName.slice('VigilSmoke'.length).toLowerCase();
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-smoke-'));
  let resources: StackResource[] | undefined;
  let failure: unknown;
  let interrupted = false;
  const abort = new AbortController();
  const onSignal = () => {
    abort.abort();
    if (interrupted) {
      log(
        `interrupted again: leaving ${stackName}; remove it with npm run smoke:aws -- --destroy ${stackName}`,
      );
      process.exit(130);
    }
    interrupted = true;
    log('interrupted: stopping after this step, then destroying (Ctrl-C again to leave the stack)');
  };
  process.on('SIGINT', onSignal);
  try {
    log(`aws://${account}/${region}: stack ${stackName}`);
    const lakeDir = path.join(work, 'lake');
    const l = SMOKE_SCENARIO.lake;
    await generateLake(
      buildScenario({ seed: l.seed, start: new Date(l.start), days: l.days, impressions: l.impressions }),
      lakeDir,
    );
    const outputsFile = path.join(work, 'outputs.json');
    await runCdk(deployCommand({ stackName, account, region }, outputsFile), ROOT);
    const cfn = new CloudFormationClient({ region });
    resources = await listStackResources(cfn, stackName).finally(() => cfn.destroy());
    if (interrupted) throw new Error('interrupted');
    const outputs = parseOutputs(readFileSync(outputsFile, 'utf8'), stackName);
    const clients = smokeClients({ region });
    try {
      const report = await runSmoke(clients, outputs, {
        lakeDir,
        queueName: `${QUEUE_PREFIX}${id}`,
        executionName: `smoke-${id}`,
        pollMs: 5_000,
        rerunTimeoutMs: 30 * 60_000,
        receiveTimeoutMs: 120_000,
        log,
        signal: abort.signal,
      });
      log(
        `passed: rerun ${report.rerun.windows} windows, alert "${report.alert.subject}", report ${report.report}`,
      );
    } finally {
      destroyClients(clients);
    }
  } catch (e) {
    failure = e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  let leftBehind: string[] = [];
  if (values.keep) log(`kept ${stackName}: remove it with npm run smoke:aws -- --destroy ${stackName}`);
  else
    try {
      leftBehind = await destroy(stackName, account, region, resources);
    } catch (e) {
      leftBehind = [
        `stack ${stackName}: ${(e as Error).message}; retry with npm run smoke:aws -- --destroy ${stackName}`,
      ];
    }
  for (const e of leftBehind) log(`left behind: ${e}`);
  process.off('SIGINT', onSignal);
  if (failure) {
    log(`FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
    return 1;
  }
  return leftBehind.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`smoke:aws: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof SetupError ? 2 : 1);
  },
);
