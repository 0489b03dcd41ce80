import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { type EmulatedAccount, readBody, ServiceError, serviceErrorOf } from './account.js';
import { AccessDenied, type PolicyDocument, type Principal } from './iam.js';
import type { TlsIdentity } from './loopback.js';
import { type Caller, EmulatedService } from './service.js';

export interface BucketSpec {
  readonly name: string;
  readonly policy?: PolicyDocument;
  /** Default encryption SSE-KMS with this key (else SSE-S3). */
  readonly kmsKeyArn?: string;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Decodes an `aws-chunked` body (chunk-size;… CRLF data CRLF … 0 CRLF trailers). */
function decodeChunked(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    const size = Number.parseInt(buf.subarray(i, eol).toString().split(';')[0]!, 16);
    if (!size) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * S3 over HTTP (path-style, as the SDK addresses an IP endpoint): GetObject, HeadObject, PutObject
 * with If-None-Match / If-Match, DeleteObject, ListObjectsV2 and GetBucketLocation. Objects live as
 * files under `root/<bucket>/<key>`, so the Athena emulation reads the lake's Parquet in place.
 * Every request is authorized against the caller's policies and the bucket policy; an SSE-KMS
 * bucket also needs the key (kms:GenerateDataKey to write, kms:Decrypt to read). A missing key is
 * 404 NoSuchKey only to a caller allowed s3:ListBucket, else 403 AccessDenied, as on S3.
 */
export class S3Emulator extends EmulatedService {
  private readonly buckets = new Map<string, BucketSpec>();

  constructor(
    account: EmulatedAccount,
    readonly root: string,
    tls?: TlsIdentity,
  ) {
    super(account, tls);
  }

  addBucket(spec: BucketSpec): void {
    this.buckets.set(spec.name, spec);
    mkdirSync(path.join(this.root, spec.name), { recursive: true });
  }

  bucket(name: string): BucketSpec {
    const b = this.buckets.get(name);
    if (!b) throw new ServiceError(404, 'NoSuchBucket', `The specified bucket does not exist: ${name}`);
    return b;
  }

  /** The file holding an object (tests and the Athena emulation read through this). */
  pathOf(bucket: string, key: string): string {
    const p = path.join(this.root, bucket, key);
    if (!p.startsWith(path.join(this.root, bucket) + path.sep))
      throw new ServiceError(400, 'InvalidKey', key);
    return p;
  }

  exists(bucket: string, key: string): boolean {
    const p = this.pathOf(bucket, key);
    return existsSync(p) && statSync(p).isFile();
  }

  read(bucket: string, key: string): Buffer {
    return readFileSync(this.pathOf(bucket, key));
  }

  /** Writes without authorization (the test's own setup, or CloudFormation deploying an asset). */
  write(bucket: string, key: string, body: Buffer | string): string {
    this.bucket(bucket);
    const p = this.pathOf(bucket, key);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, body);
    return this.etagOf(bucket, key);
  }

  etagOf(bucket: string, key: string): string {
    return `"${createHash('md5').update(this.read(bucket, key)).digest('hex')}"`;
  }

  /** Keys under a prefix, sorted (S3 lists in UTF-8 binary order). */
  keys(bucket: string, prefix = ''): string[] {
    const base = path.join(this.root, bucket);
    const out: string[] = [];
    const walk = (dir: string, rel: string) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(dir, e.name), r);
        else if (r.startsWith(prefix)) out.push(r);
      }
    };
    // Walk only the folder the prefix names (listing a lake source must not walk the whole lake).
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    walk(dirPart ? path.join(base, dirPart) : base, dirPart);
    return out.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1));
  }

  /** Authorizes an S3 action for a principal (also used by Athena, which reads with the caller's credentials). */
  authorize(
    principal: Principal,
    action: string,
    bucket: string,
    key: string | undefined,
    context: Record<string, string | undefined> = {},
  ): void {
    const b = this.bucket(bucket);
    this.account.authorize('s3', {
      principal,
      action,
      resource: key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`,
      context,
      ...(b.policy ? { resourcePolicy: b.policy } : {}),
    });
  }

  /** GetObject as a principal: the object, or the error S3 would answer. */
  getAs(
    principal: Principal,
    bucket: string,
    key: string,
    via = 's3',
    context: Record<string, string | undefined> = {},
  ): Buffer {
    this.authorize(principal, 's3:GetObject', bucket, key, context);
    if (!this.exists(bucket, key)) {
      // Only a caller who may list the bucket learns that the key does not exist.
      try {
        this.authorize(principal, 's3:ListBucket', bucket, undefined, context);
      } catch (err) {
        if (err instanceof AccessDenied) throw new ServiceError(403, 'AccessDenied', 'Access Denied');
        throw err;
      }
      throw new ServiceError(404, 'NoSuchKey', 'The specified key does not exist.');
    }
    const kms = this.bucket(bucket).kmsKeyArn;
    if (kms) this.account.useKey(via === 's3' ? 's3' : 's3', principal, kms, 'kms:Decrypt');
    return this.read(bucket, key);
  }

  /** PutObject as a principal (Athena writes query results this way). */
  putAs(
    principal: Principal,
    bucket: string,
    key: string,
    body: Buffer,
    context: Record<string, string | undefined> = {},
  ): string {
    this.authorize(principal, 's3:PutObject', bucket, key, context);
    const kms = this.bucket(bucket).kmsKeyArn;
    if (kms) this.account.useKey('s3', principal, kms, 'kms:GenerateDataKey');
    return this.write(bucket, key, body);
  }

  reset(): void {
    for (const b of this.buckets.keys()) rmSync(path.join(this.root, b), { recursive: true, force: true });
    for (const b of this.buckets.keys()) mkdirSync(path.join(this.root, b), { recursive: true });
  }

  protected fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(err, 'S3', { status: 403, code: 'AccessDenied' }, 'InternalError');
    res.writeHead(e.status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
    res.end(
      res.req.method === 'HEAD'
        ? undefined
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
    );
  }

  protected async handle(
    req: IncomingMessage,
    res: ServerResponse,
    { principal, transport }: Caller,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    this.bucket(bucket);
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    if (!key) {
      if (method === 'GET' && q.has('location')) {
        this.authorize(principal, 's3:GetBucketLocation', bucket, undefined, transport);
        return this.xml(res, `<LocationConstraint>${this.account.region}</LocationConstraint>`);
      }
      if (method === 'GET' && q.get('list-type') === '2')
        return this.list(principal, bucket, q, res, transport);
      throw new ServiceError(501, 'NotImplemented', `${method} ${url.search} on a bucket is not emulated`);
    }
    if (method === 'GET' || method === 'HEAD') {
      const body = this.getAs(principal, bucket, key, 's3', transport);
      res.writeHead(200, {
        etag: this.etagOf(bucket, key),
        'content-length': String(body.length),
        'content-type': 'application/octet-stream',
        'last-modified': statSync(this.pathOf(bucket, key)).mtime.toUTCString(),
        ...(this.bucket(bucket).kmsKeyArn
          ? {
              'x-amz-server-side-encryption': 'aws:kms',
              'x-amz-server-side-encryption-aws-kms-key-id': this.bucket(bucket).kmsKeyArn!,
            }
          : { 'x-amz-server-side-encryption': 'AES256' }),
      });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (method === 'PUT') {
      if (req.headers['x-amz-copy-source'])
        throw new ServiceError(501, 'NotImplemented', 'CopyObject is not emulated');
      let body = await readBody(req);
      const sha = String(req.headers['x-amz-content-sha256'] ?? '');
      if (
        sha.startsWith('STREAMING-') ||
        String(req.headers['content-encoding'] ?? '').includes('aws-chunked')
      )
        body = decodeChunked(body);
      this.authorize(principal, 's3:PutObject', bucket, key, transport);
      const exists = this.exists(bucket, key);
      const ifNoneMatch = req.headers['if-none-match'];
      const ifMatch = req.headers['if-match'];
      if (ifNoneMatch === '*' && exists)
        throw new ServiceError(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      if (ifMatch !== undefined) {
        if (!exists) throw new ServiceError(404, 'NoSuchKey', 'The specified key does not exist.');
        if (ifMatch !== this.etagOf(bucket, key))
          throw new ServiceError(
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          );
      }
      const etag = this.putAs(principal, bucket, key, body, transport);
      res.writeHead(200, { etag });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      this.authorize(principal, 's3:DeleteObject', bucket, key, transport);
      if (this.exists(bucket, key)) rmSync(this.pathOf(bucket, key));
      res.writeHead(204);
      res.end();
      return;
    }
    throw new ServiceError(501, 'NotImplemented', `${method} on an object is not emulated`);
  }

  private list(
    principal: Principal,
    bucket: string,
    q: URLSearchParams,
    res: ServerResponse,
    transport: Record<string, string>,
  ): void {
    const prefix = q.get('prefix') ?? undefined;
    this.authorize(principal, 's3:ListBucket', bucket, undefined, {
      ...transport,
      ...(prefix !== undefined ? { 's3:prefix': prefix } : {}),
    });
    const max = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
    const after = q.get('continuation-token') ?? q.get('start-after') ?? '';
    const all = this.keys(bucket, prefix ?? '').filter((k) => !after || k > after);
    const page = all.slice(0, max);
    const truncated = all.length > max;
    const contents = page
      .map((k) => {
        const st = statSync(this.pathOf(bucket, k));
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${st.mtime.toISOString()}</LastModified><ETag>${xmlEscape(this.etagOf(bucket, k))}</ETag><Size>${st.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    this.xml(
      res,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix ?? '')}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1]!)}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
    );
  }

  private xml(res: ServerResponse, body: string): void {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  }
}
