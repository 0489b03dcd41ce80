import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../shared/adapters/s3/s3-object-store.js';
import { PreconditionFailedError } from '../../../shared/ports/object-store.js';

const s3 = mockClient(S3Client);
const store = () =>
  new S3ObjectStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'res', prefix: 'vigil/' });
// The SDK's stream mixin, reduced to the one method the store uses.
const body = (text: string) =>
  ({ transformToByteArray: async () => new TextEncoder().encode(text) }) as never;
const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

beforeEach(() => s3.reset());

describe('S3ObjectStore', () => {
  it('reads an object with its ETag under the prefix; a missing key is undefined', async () => {
    s3.on(GetObjectCommand, { Bucket: 'res', Key: 'vigil/a/b.json' }).resolves({
      Body: body('{"x":1}'),
      ETag: '"e1"',
    });
    s3.on(GetObjectCommand, { Key: 'vigil/missing' }).rejects(
      new NoSuchKey({ message: 'nope', $metadata: {} }),
    );
    const got = await store().get('a/b.json');
    expect(new TextDecoder().decode(got!.body)).toBe('{"x":1}');
    expect(got!.etag).toBe('"e1"');
    expect(await store().get('missing')).toBeUndefined();
  });

  it('passes If-None-Match / If-Match and maps 412 and 409 to PreconditionFailedError', async () => {
    s3.on(PutObjectCommand, { Key: 'vigil/alerts/state.json', IfNoneMatch: '*' }).rejects(
      s3Error('PreconditionFailed', 412),
    );
    s3.on(PutObjectCommand, { Key: 'vigil/alerts/state.json', IfMatch: '"old"' }).rejects(
      s3Error('ConditionalRequestConflict', 409),
    );
    s3.on(PutObjectCommand, { Key: 'vigil/alerts/state.json', IfMatch: '"cur"' }).resolves({ ETag: '"new"' });
    await expect(store().put('alerts/state.json', '{}', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(store().put('alerts/state.json', '{}', { ifMatch: '"old"' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(
      await store().put('alerts/state.json', '{}', { ifMatch: '"cur"', contentType: 'application/json' }),
    ).toEqual({
      etag: '"new"',
    });
    const last = s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
    expect(last).toMatchObject({ Bucket: 'res', IfMatch: '"cur"', ContentType: 'application/json' });
    expect(last.IfNoneMatch).toBeUndefined();
  });

  it('rethrows other errors unchanged', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store().put('metrics/x.csv', 'a')).rejects.toThrow('AccessDenied');
  });

  it('lists every page, strips the prefix and sorts', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: 'vigil/metrics/b' }, { Key: 'vigil/metrics/a' }],
      IsTruncated: true,
      NextContinuationToken: 't2',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't2' }).resolves({
      Contents: [{ Key: 'vigil/metrics/0' }],
    });
    expect(await store().list('metrics/')).toEqual(['metrics/0', 'metrics/a', 'metrics/b']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBe('vigil/metrics/');
  });

  it('deletes, refuses path tricks and links to the console', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await store().delete('metrics/x');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'res',
      Key: 'vigil/metrics/x',
    });
    await expect(store().get('../etc/passwd')).rejects.toThrow(/invalid object key/);
    expect(store().urlOf('report/index.html')).toBe(
      'https://s3.console.aws.amazon.com/s3/object/res?prefix=vigil%2Freport%2Findex.html',
    );
  });
});
