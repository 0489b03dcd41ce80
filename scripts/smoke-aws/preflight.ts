import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/** A setup problem found before anything is created: one line saying what to do. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** Where `cdk bootstrap` records its version (default qualifier), read by every synthesized template. */
export const BOOTSTRAP_PARAMETER = '/cdk-bootstrap/hnb659fds/version';
/** The template's CheckBootstrapVersion rule refuses versions 1–5. */
export const MIN_BOOTSTRAP_VERSION = 6;

const short = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e));

/**
 * Checks, before deploying anything: a region, credentials the account accepts, and a CDK bootstrap
 * recent enough in that account and region. Returns the account and region.
 */
export async function preflight(
  sts: STSClient,
  ssm: SSMClient,
): Promise<{ account: string; region: string }> {
  let region: string | undefined;
  try {
    region = await sts.config.region();
  } catch {
    region = undefined;
  }
  if (!region)
    throw new SetupError('no AWS region: set AWS_REGION (or a region in the profile AWS_PROFILE names)');
  try {
    await sts.config.credentials();
  } catch (e) {
    throw new SetupError(
      `no AWS credentials (${short(e)}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login`,
    );
  }
  let account: string;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account!;
  } catch (e) {
    throw new SetupError(`AWS did not accept the credentials (${short(e)})`);
  }
  const bootstrap = `npx cdk bootstrap aws://${account}/${region}`;
  let version: number;
  try {
    const p = await ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_PARAMETER }));
    version = Number(p.Parameter?.Value);
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound')
      throw new SetupError(`aws://${account}/${region} is not bootstrapped for CDK: run ${bootstrap}`);
    throw new SetupError(`cannot read the CDK bootstrap version ${BOOTSTRAP_PARAMETER} (${short(e)})`);
  }
  if (!(version >= MIN_BOOTSTRAP_VERSION))
    throw new SetupError(
      `the CDK bootstrap of aws://${account}/${region} is version ${version}, older than ${MIN_BOOTSTRAP_VERSION}: run ${bootstrap}`,
    );
  return { account, region };
}
