import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatedAccount } from './account.js';
import type { Statement } from './iam.js';
import { S3Emulator } from './s3.js';

const ACCOUNT = '123456789012';
const account = new EmulatedAccount(ACCOUNT, 'eu-west-1');
const root = mkdtempSync(path.join(tmpdir(), 'vigil-s3-emulator-'));
const s3 = new S3Emulator(account, root);
const objects: Statement = {
  Effect: 'Allow',
  Action: ['s3:GetObject', 's3:PutObject'],
  Resource: 'arn:aws:s3:::b/*',
};
const list: Statement = { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b' };
const listPrefixed: Statement = { ...list, Condition: { StringLike: { 's3:prefix': ['metrics/*'] } } };
const principal = (key: string, ...statements: Statement[]) =>
  account.addPrincipal(key, {
    arn: `arn:aws:iam::${ACCOUNT}:role/${key}`,
    account: ACCOUNT,
    policies: [{ Statement: statements }],
  });
let client: (key: string) => S3Client;

beforeAll(async () => {
  s3.addBucket({ name: 'b' });
  principal('LISTER', objects, list);
  principal('PREFIXED', objects, listPrefixed);
  principal('NOLIST', objects);
  const endpoint = await s3.start();
  client = (key) =>
    new S3Client({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: key, secretAccessKey: 's' } });
});
afterAll(async () => {
  await s3.stop();
  rmSync(root, { recursive: true, force: true });
});

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { name: string }) => e.name,
  );

describe('S3 emulator', () => {
  it('answers a missing key 404 only to a caller allowed an unconditional ListBucket, else 403', async () => {
    const get = (key: string) =>
      client(key).send(new GetObjectCommand({ Bucket: 'b', Key: 'metrics/missing' }));
    expect(await errorOf(get('LISTER'))).toBe('NoSuchKey');
    expect(await errorOf(get('PREFIXED'))).toBe('AccessDenied');
    expect(await errorOf(get('NOLIST'))).toBe('AccessDenied');
  });

  it('honours If-None-Match and If-Match like S3, and returns what was written', async () => {
    const c = client('LISTER');
    const put = await c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'one', IfNoneMatch: '*' }));
    expect(
      await errorOf(c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'two', IfNoneMatch: '*' }))),
    ).toBe('PreconditionFailed');
    expect(
      await errorOf(c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'two', IfMatch: '"nope"' }))),
    ).toBe('PreconditionFailed');
    await c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'two', IfMatch: put.ETag }));
    const got = await c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('two');
  });

  it('authorizes ListObjectsV2 with the request prefix as s3:prefix, and pages', async () => {
    for (let i = 0; i < 3; i++) s3.write('b', `metrics/${i}`, 'x');
    const listed = await client('PREFIXED').send(
      new ListObjectsV2Command({ Bucket: 'b', Prefix: 'metrics/', MaxKeys: 2 }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['metrics/0', 'metrics/1']);
    expect(listed.IsTruncated).toBe(true);
    const rest = await client('PREFIXED').send(
      new ListObjectsV2Command({
        Bucket: 'b',
        Prefix: 'metrics/',
        ContinuationToken: listed.NextContinuationToken,
      }),
    );
    expect(rest.Contents?.map((o) => o.Key)).toEqual(['metrics/2']);
    expect(
      await errorOf(client('PREFIXED').send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'leases/' }))),
    ).toBe('AccessDenied');
    expect(account.denials.some((d) => d.action === 's3:ListBucket')).toBe(true);
  });
});
