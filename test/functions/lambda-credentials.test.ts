import { describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/lib/lambda-credentials.js';

const KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'];

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  for (const k of KEYS) delete process.env[k];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

describe('the Lambda bundles’ credential chain', () => {
  it('reads the execution role’s credentials from the environment Lambda sets', async () => {
    const creds = await withEnv(
      { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' },
      () => defaultProvider()(),
    );
    expect(creds).toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('fails with the SDK’s credentials error when the environment has none', async () => {
    await expect(withEnv({}, () => defaultProvider()())).rejects.toMatchObject({
      name: 'CredentialsProviderError',
    });
  });
});
