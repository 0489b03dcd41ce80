import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SmokeClients } from './steps.js';

type Service = keyof SmokeClients;

export interface ClientSettings {
  readonly region: string;
  /** Static credentials (the emulation); absent = the SDK's default chain (env, profile, SSO, role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Per-service endpoints (the emulation); absent = AWS's. */
  readonly endpoints?: Partial<Record<Service, string>>;
  /** Passed to every client (the emulation's HTTPS agent trusting its certificate). */
  readonly requestHandler?: unknown;
}

/** The smoke's SDK v3 clients, built the same way for AWS and for the emulation. */
export function smokeClients(s: ClientSettings): SmokeClients {
  const base = (service: Service) => ({
    region: s.region,
    ...(s.credentials ? { credentials: s.credentials } : {}),
    ...(s.endpoints?.[service] ? { endpoint: s.endpoints[service] } : {}),
    ...(s.requestHandler ? { requestHandler: s.requestHandler as never } : {}),
  });
  return {
    s3: new S3Client({ ...base('s3'), ...(s.endpoints?.s3 ? { forcePathStyle: true } : {}) }),
    lambda: new LambdaClient(base('lambda')),
    sfn: new SFNClient(base('sfn')),
    sqs: new SQSClient(base('sqs')),
    sns: new SNSClient(base('sns')),
  };
}

export function destroyClients(c: SmokeClients): void {
  for (const client of Object.values(c)) client.destroy();
}
