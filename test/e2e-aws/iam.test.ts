import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyDocument, type Principal, wildcardMatch } from './iam.js';

const ACCOUNT = '123456789012';
const role = (...statements: PolicyDocument['Statement'][]): Principal => ({
  arn: `arn:aws:iam::${ACCOUNT}:role/job`,
  account: ACCOUNT,
  policies: statements.map((Statement) => ({ Statement })),
});
const ask = (
  p: Principal,
  action: string,
  resource: string,
  extra: Partial<Parameters<typeof evaluate>[0]> = {},
) => evaluate({ principal: p, action, resource, ...extra }).decision;

describe('IAM evaluator', () => {
  it('matches wildcards: * any run, ? one character; actions ignore case, ARNs do not', () => {
    expect(wildcardMatch('arn:aws:s3:::b/metrics/*', 'arn:aws:s3:::b/metrics/grain=hour/x')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/metrics/*', 'arn:aws:s3:::b/metricsx')).toBe(false);
    expect(wildcardMatch('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(wildcardMatch('S3:getobject', 's3:GetObject', true)).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::B/*', 'arn:aws:s3:::b/k')).toBe(false);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
  });

  it('denies by default, allows on a matching statement, and an explicit Deny wins', () => {
    const p = role({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/metrics/*' });
    expect(ask(p, 's3:GetObject', 'arn:aws:s3:::b/metrics/x')).toBe('Allow');
    expect(ask(p, 's3:PutObject', 'arn:aws:s3:::b/metrics/x')).toBe('ImplicitDeny');
    expect(ask(p, 's3:GetObject', 'arn:aws:s3:::b/leases/x')).toBe('ImplicitDeny');
    const d = role(
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/*' },
    );
    expect(ask(d, 's3:DeleteObject', 'arn:aws:s3:::b/k')).toBe('ExplicitDeny');
    expect(ask(d, 's3:GetObject', 'arn:aws:s3:::b/k')).toBe('Allow');
  });

  it('supports NotAction and NotResource', () => {
    const p = role({
      Effect: 'Allow',
      NotAction: 's3:DeleteObject',
      NotResource: 'arn:aws:s3:::b/private/*',
    });
    expect(ask(p, 's3:GetObject', 'arn:aws:s3:::b/k')).toBe('Allow');
    expect(ask(p, 's3:DeleteObject', 'arn:aws:s3:::b/k')).toBe('ImplicitDeny');
    expect(ask(p, 's3:GetObject', 'arn:aws:s3:::b/private/k')).toBe('ImplicitDeny');
  });

  it('evaluates StringLike on s3:prefix: a prefix-conditioned ListBucket does not cover a request without one', () => {
    const p = role({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::b',
      Condition: { StringLike: { 's3:prefix': ['metrics/*', 'alerts/*'] } },
    });
    expect(
      ask(p, 's3:ListBucket', 'arn:aws:s3:::b', { context: { 's3:prefix': 'metrics/grain=hour/' } }),
    ).toBe('Allow');
    expect(ask(p, 's3:ListBucket', 'arn:aws:s3:::b', { context: { 's3:prefix': 'leases/' } })).toBe(
      'ImplicitDeny',
    );
    expect(ask(p, 's3:ListBucket', 'arn:aws:s3:::b')).toBe('ImplicitDeny');
  });

  it('evaluates StringEquals, Bool, Null, IfExists and negated operators', () => {
    const kms = role({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
    expect(
      ask(kms, 'kms:Decrypt', 'k', { context: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }),
    ).toBe('Allow');
    expect(
      ask(kms, 'kms:Decrypt', 'k', { context: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } }),
    ).toBe('ImplicitDeny');
    const tls = role(
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      {
        Effect: 'Deny',
        Action: 's3:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    );
    expect(ask(tls, 's3:GetObject', 'x', { context: { 'aws:SecureTransport': 'false' } })).toBe(
      'ExplicitDeny',
    );
    expect(ask(tls, 's3:GetObject', 'x', { context: { 'aws:SecureTransport': 'true' } })).toBe('Allow');
    const nul = role({
      Effect: 'Allow',
      Action: 's3:*',
      Resource: '*',
      Condition: { Null: { 's3:prefix': 'true' } },
    });
    expect(ask(nul, 's3:ListBucket', 'b')).toBe('Allow');
    expect(ask(nul, 's3:ListBucket', 'b', { context: { 's3:prefix': 'x' } })).toBe('ImplicitDeny');
    const ifx = role({
      Effect: 'Allow',
      Action: 's3:*',
      Resource: '*',
      Condition: { StringEqualsIfExists: { 's3:prefix': 'a/' } },
    });
    expect(ask(ifx, 's3:ListBucket', 'b')).toBe('Allow');
    expect(ask(ifx, 's3:ListBucket', 'b', { context: { 's3:prefix': 'c/' } })).toBe('ImplicitDeny');
    const not = role({
      Effect: 'Allow',
      Action: 's3:*',
      Resource: '*',
      Condition: { StringNotLike: { 's3:prefix': 'secret/*' } },
    });
    expect(ask(not, 's3:ListBucket', 'b', { context: { 's3:prefix': 'secret/x' } })).toBe('ImplicitDeny');
    expect(ask(not, 's3:ListBucket', 'b', { context: { 's3:prefix': 'open/x' } })).toBe('Allow');
  });

  it('refuses what it does not understand instead of allowing it', () => {
    const p = role({
      Effect: 'Allow',
      Action: 's3:*',
      Resource: '*',
      Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } },
    });
    expect(() => ask(p, 's3:GetObject', 'x')).toThrow(/unsupported condition operator DateGreaterThan/);
  });

  it('applies resource policies: an allow there suffices in-account, a deny there wins', () => {
    const none = role();
    const bucketPolicy: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/job` },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
        },
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: 'arn:aws:s3:::b/*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    };
    expect(
      ask(none, 's3:GetObject', 'arn:aws:s3:::b/k', {
        resourcePolicy: bucketPolicy,
        context: { 'aws:SecureTransport': 'true' },
      }),
    ).toBe('Allow');
    expect(
      ask(none, 's3:GetObject', 'arn:aws:s3:::b/k', {
        resourcePolicy: bucketPolicy,
        context: { 'aws:SecureTransport': 'false' },
      }),
    ).toBe('ExplicitDeny');
  });

  it('requires the KMS key policy to allow, directly or by delegating to the account', () => {
    const withGrant = role({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/k',
    });
    const delegating: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const serviceOnly: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'kms:Decrypt',
          Resource: '*',
        },
      ],
    };
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/k';
    const kms = (p: Principal, policy: PolicyDocument) =>
      ask(p, 'kms:Decrypt', key, { resourcePolicy: policy, resourcePolicyRequired: true });
    expect(kms(withGrant, delegating)).toBe('Allow');
    expect(kms(role(), delegating)).toBe('ImplicitDeny');
    expect(kms(withGrant, serviceOnly)).toBe('ImplicitDeny');
  });
});
