import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_PARAMETER, preflight, SetupError } from '../../../scripts/smoke-aws/preflight.js';

// No AWS account here: STS and SSM answers are mocked; the SDK's own region and credential
// resolution is real (clients built with and without them).
const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const creds = { accessKeyId: 'AKIA', secretAccessKey: 's' };
const clients = (o: { region?: string; credentials?: unknown } = {}) => ({
  sts: new STSClient({
    region: o.region ?? 'eu-west-1',
    credentials: (o.credentials ?? creds) as never,
  }),
  ssm: new SSMClient({ region: o.region ?? 'eu-west-1', credentials: creds }),
});
const run = async (c: ReturnType<typeof clients>) =>
  preflight(c.sts, c.ssm).then(
    (v) => v,
    (e: Error) => {
      expect(e).toBeInstanceOf(SetupError);
      expect(e.message).not.toContain('\n');
      return e.message;
    },
  );

beforeEach(() => {
  sts.reset();
  ssm.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
  ssm.on(GetParameterCommand, { Name: BOOTSTRAP_PARAMETER }).resolves({ Parameter: { Value: '27' } });
});

describe('smoke:aws preflight', () => {
  it('returns the account and region when all is in place', async () => {
    expect(await run(clients())).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('says so in one line when no region is set', async () => {
    const c = clients();
    const sts2 = new STSClient({ credentials: creds, region: async () => '' });
    expect(await run({ ...c, sts: sts2 })).toMatch(/^no AWS region: set AWS_REGION/);
  });

  it('says so in one line when there are no credentials', async () => {
    const missing = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    };
    expect(await run(clients({ credentials: missing }))).toMatch(
      /^no AWS credentials \(CredentialsProviderError: Could not load credentials from any providers\): set AWS_PROFILE/,
    );
  });

  it('says so when AWS rejects the credentials', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('token expired'), { name: 'ExpiredToken' }));
    expect(await run(clients())).toBe('AWS did not accept the credentials (ExpiredToken: token expired)');
  });

  it('names the bootstrap command when the account/region is not bootstrapped or too old', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    expect(await run(clients())).toBe(
      'aws://123456789012/eu-west-1 is not bootstrapped for CDK: run npx cdk bootstrap aws://123456789012/eu-west-1',
    );
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '5' } });
    expect(await run(clients())).toMatch(
      /is version 5, older than 6: run npx cdk bootstrap aws:\/\/123456789012\/eu-west-1$/,
    );
  });
});
