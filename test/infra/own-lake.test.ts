import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { resolveSettings, stackDefaults } from '../../infra/config.js';
import { CONFIG_KEY, DeployedConfig } from '../../infra/constructs/deployed-config.js';
import { VigilStack } from '../../infra/vigil-stack.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'own-lake.vigil.yaml');
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222-3333';
const app = new App({
  context: {
    'aws:cdk:bundling-stacks': [],
    'vigil:lakeBucketName': 'tns-events',
    'vigil:lakePrefix': 'raw',
    'vigil:databaseName': 'tns',
    'vigil:existingDatabase': 'true',
    'vigil:lakeKmsKeyArn': KEY,
    'vigil:config': path.relative(path.resolve(import.meta.dirname, '../..'), FIXTURE),
  },
});
const stack = new VigilStack(app, 'VigilProd', { env: { account: '123456789012', region: 'eu-west-1' } });
const template = Template.fromStack(stack);
const json = template.toJSON() as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const statements = Object.values(json.Resources)
  .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy')
  .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
const text = (v: unknown) => JSON.stringify(v);

describe('a stack on an existing lake and Glue database', () => {
  it('creates no lake database or lake tables, only its own history database and tables', () => {
    const dbs = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Glue::Database');
    expect(dbs.map((d) => (d.Properties.DatabaseInput as { Name: string }).Name)).toEqual(['tns_vigil']);
    const tables = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Glue::Table');
    expect(tables.map((t) => t.Properties.DatabaseName)).toEqual(['tns_vigil', 'tns_vigil']);
    template.resourcePropertiesCountIs('AWS::S3::Bucket', { BucketName: 'tns-events' }, 0);
  });

  it('grants Glue and S3 on the mapped table names, not the default ones', () => {
    const glue = statements.find((s) => [s.Action].flat().includes('glue:GetTable'))!;
    expect(text(glue.Resource)).toContain('table/tns/imp_events_v2');
    expect(text(glue.Resource)).toContain('table/tns/mod_decisions');
    expect(text(glue.Resource)).toContain('table/tns/user_reports');
    expect(text(glue.Resource)).not.toContain('table/tns/impressions');
    expect(text(glue.Resource)).toContain('table/tns_vigil/metric_history');
    const read = statements.find((s) => s.Sid === 'LakeSourcesRead')!;
    expect(text(read.Resource)).toContain('tns-events/raw/imp_events_v2/*');
    expect(text(read.Resource)).not.toContain('raw/impressions/*');
    const list = statements.find((s) => s.Sid === 'LakeBucketListSourcePrefixes')!;
    expect(text(list.Condition)).toContain('raw/mod_decisions/*');
  });

  it('may decrypt the lake with its KMS key, through S3 only', () => {
    const kms = statements.find((s) => s.Sid === 'LakeKeyDecryptViaS3')!;
    expect(kms).toMatchObject({ Action: 'kms:Decrypt', Resource: KEY });
    expect(text(kms.Condition)).toContain('"kms:ViaService":"s3.eu-west-1.amazonaws.com"');
  });

  it('deploys the validated vigil.yaml as JSON to config/ and points the functions at it', () => {
    const put = Object.values(json.Resources).find((r) => r.Type === 'Custom::AWS')!;
    const create = text(put.Properties.Create);
    expect(create).toContain(CONFIG_KEY);
    expect(create).toContain('imp_events_v2');
    expect(create).toContain('putObject');
    const fns = Object.values(json.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('Vigil '),
    );
    expect(fns).toHaveLength(3);
    for (const f of fns)
      expect((f.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        VIGIL_CONFIG_KEY: CONFIG_KEY,
        VIGIL_DATABASE: 'tns',
        NODE_OPTIONS: '--enable-source-maps',
      });
    // The deploying role may put that one key and nothing else.
    const custom = statements.filter(
      (s) => [s.Action].flat().includes('s3:PutObject') && text(s.Resource).includes(CONFIG_KEY),
    );
    expect(custom).toHaveLength(1);
  });

  it('passes cdk-nag', () => {
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });
});

describe('names unique per stack, and the config checked at synth', () => {
  it('derives the database and workgroup from the stack name', () => {
    expect(stackDefaults('Vigil')).toEqual({ databaseName: 'vigil', workGroupName: 'vigil' });
    expect(stackDefaults('VigilStaging')).toEqual({
      databaseName: 'vigil_staging',
      workGroupName: 'vigil-staging',
    });
    const node = new App().node;
    const a = resolveSettings(node, {}, 'VigilA');
    const b = resolveSettings(node, {}, 'VigilB');
    expect(a.databaseName).not.toBe(b.databaseName);
    expect(a.workGroupName).not.toBe(b.workGroupName);
    template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'vigil-prod' });
    // Everything else is left to CloudFormation's stack-prefixed names.
    for (const r of Object.values(json.Resources)) {
      if (r.Type === 'AWS::Lambda::Function') expect(r.Properties.FunctionName).toBeUndefined();
      if (r.Type === 'AWS::SNS::Topic') expect(r.Properties.TopicName).toBeUndefined();
      if (r.Type === 'AWS::Scheduler::Schedule') expect(r.Properties.Name).toBeUndefined();
    }
  });

  it('refuses a bad vigil.yaml at synth with one line naming the field', () => {
    const s = new Stack(new App(), 'Bad');
    const bucket = new s3.Bucket(s, 'B');
    expect(
      () =>
        new DeployedConfig(s, 'C', {
          bucket,
          configFile: path.join(import.meta.dirname, 'fixtures', 'bad.vigil.yaml'),
        }),
    ).toThrow(/bad\.vigil\.yaml: sources/);
  });
});
