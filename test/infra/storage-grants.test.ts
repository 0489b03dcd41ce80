import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENTRIES, type FunctionName } from '../../infra/bundling.js';
import { AREA_USERS, areaGrants, storageLayoutMarkdown } from '../../infra/storage-access.js';
import { VigilStack } from '../../infra/vigil-stack.js';
import { prefixOf, STORAGE_LAYOUT, type StorageArea } from '../../shared/storage/layout.js';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new VigilStack(app, 'Vigil', { env: { account: '123456789012', region: 'eu-west-1' } });
const template = Template.fromStack(stack);
const json = template.toJSON() as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const resultsBucket = Object.keys(json.Resources).find(
  (id) => json.Resources[id]!.Type === 'AWS::S3::Bucket' && id.startsWith('ResultsBucket'),
)!;

/** Every statement that reaches a function's role: its inline policies and its managed policies. */
function statementsOf(fn: FunctionName): Statement[] {
  const cap = fn.charAt(0).toUpperCase() + fn.slice(1);
  const fnRes = Object.entries(json.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(`Jobs${cap}`),
  )![1];
  const roleId = (fnRes.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = json.Resources[roleId]!;
  const managed = ((role.Properties.ManagedPolicyArns as { Ref: string }[]) ?? []).map((m) => m.Ref);
  const out: Statement[] = [];
  for (const [id, r] of Object.entries(json.Resources)) {
    const doc = r.Properties.PolicyDocument as { Statement: Statement[] } | undefined;
    if (!doc) continue;
    if (r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
      out.push(...doc.Statement);
    if (r.Type === 'AWS::IAM::ManagedPolicy' && managed.includes(id)) out.push(...doc.Statement);
  }
  return out;
}

const objectArn = (prefix: string) => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [resultsBucket, 'Arn'] }, `/${prefix}*`]],
});

describe('results-store grants derived from STORAGE_LAYOUT', () => {
  it('every area is used by some job, and every job gets exactly its areas with the layout access', () => {
    for (const area of Object.keys(STORAGE_LAYOUT) as StorageArea[])
      expect(AREA_USERS[area].length, area).toBeGreaterThan(0);
    for (const fn of Object.keys(FUNCTION_ENTRIES) as FunctionName[]) {
      const statements = statementsOf(fn);
      const granted = statements.filter((s) => JSON.stringify(s.Resource).includes(resultsBucket));
      for (const area of Object.keys(STORAGE_LAYOUT) as StorageArea[]) {
        const onPrefix = granted.filter(
          (s) => JSON.stringify(s.Resource) === JSON.stringify(objectArn(prefixOf(area))),
        );
        if (!AREA_USERS[area].includes(fn)) {
          expect(onPrefix, `${fn} ${area}`).toEqual([]);
          continue;
        }
        expect(onPrefix, `${fn} ${area}`).toHaveLength(1);
        const actions = [onPrefix[0]!.Action].flat().sort();
        const want = areaGrants(fn).find((g) => g.area === area)!.actions;
        expect(actions).toEqual([...want].sort());
        const access: readonly string[] = STORAGE_LAYOUT[area].access;
        if (access.includes('write')) expect(actions).toContain('s3:PutObject');
        if (access.includes('delete')) expect(actions).toContain('s3:DeleteObject');
        expect(onPrefix[0]!.Condition).toBeUndefined();
      }
    }
  });

  it('grants leases/ to every job (a scheduled run takes a lease per window)', () => {
    for (const fn of ['hourly', 'daily', 'rerun'] as const) {
      const lease = statementsOf(fn).find(
        (s) => JSON.stringify(s.Resource) === JSON.stringify(objectArn('leases/')),
      );
      expect([lease?.Action].flat().sort(), fn).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    }
  });

  it('only the daily job may write the report', () => {
    const writes = (fn: FunctionName) =>
      statementsOf(fn).some((s) => JSON.stringify(s.Resource) === JSON.stringify(objectArn('report/')));
    expect([writes('hourly'), writes('daily'), writes('rerun')]).toEqual([false, true, false]);
  });

  it('lists the results bucket without a prefix condition (a missing key is 404, not 403)', () => {
    for (const fn of ['hourly', 'daily', 'rerun'] as const) {
      const list = statementsOf(fn).filter(
        (s) =>
          [s.Action].flat().includes('s3:ListBucket') &&
          JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [resultsBucket, 'Arn'] }),
      );
      expect(list, fn).toHaveLength(1);
      expect(list[0]!.Condition).toBeUndefined();
    }
  });

  it('points the workgroup output and the lifecycle of query results at the layout prefix', () => {
    const wg = Object.values(json.Resources).find((r) => r.Type === 'AWS::Athena::WorkGroup')!;
    expect(JSON.stringify(wg.Properties)).toContain(`/${prefixOf('athenaResults')}`);
    const bucket = json.Resources[resultsBucket]!.Properties as {
      LifecycleConfiguration: { Rules: { Id: string; Prefix?: string }[] };
    };
    expect(
      bucket.LifecycleConfiguration.Rules.find((r) => r.Id === 'expire-athena-query-results')!.Prefix,
    ).toBe(prefixOf('athenaResults'));
  });
});

describe('README', () => {
  it('documents the results bucket exactly as STORAGE_LAYOUT and AREA_USERS declare it', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const m = /<!-- storage-layout:begin -->\n([\s\S]*?)\n<!-- storage-layout:end -->/.exec(readme);
    const norm = (t: string) =>
      t
        .split('\n')
        .map((l) => l.replace(/\s*\|\s*/g, '|').replace(/-{3,}/g, '---'))
        .join('\n');
    expect(m, 'README storage-layout markers').not.toBeNull();
    expect(norm(m![1]!)).toBe(norm(storageLayoutMarkdown()));
  });
});
