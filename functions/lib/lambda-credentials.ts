import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The credential chain of the Lambda bundles, in place of `@aws-sdk/credential-provider-node`'s
 * default chain (infra/bundling.ts aliases that package here). Lambda puts the execution role's
 * credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the
 * first link of the default chain; its other links (SSO, INI profiles, processes, web identity,
 * container and instance metadata) and the STS/SSO clients they carry are ~110 KB that never run
 * there. Outside Lambda (CLI, tests) the SDK's own chain is used: nothing imports this module.
 */
export function defaultProvider(init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
