import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { STORAGE_LAYOUT } from '../shared/storage/layout.js';
import type { FunctionName } from './bundling.js';
import { areaGrants } from './storage-access.js';
import type { VigilStack } from './vigil-stack.js';

export interface NagAcknowledgement {
  readonly scope: IConstruct;
  /** Rule id, or `Rule[finding]` for one finding of a multi-finding rule (cdk-nag v3). */
  readonly id: string;
  readonly reason: string;
}

/** Construct id of CDK's AwsCustomResource singleton provider function (fixed by aws-cdk-lib). */
const AWS_CUSTOM_RESOURCE_SINGLETON = 'AWS679f53fac002430cb0da5b7982bd2287';

function arnRef(construct: IConstruct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
}

/**
 * Every cdk-nag AwsSolutions finding the stack accepts, each named exactly (cdk-nag v3 matches whole
 * finding ids, so a new wildcard anywhere still fails synth) and with its reason.
 */
export function nagAcknowledgements(stack: VigilStack): NagAcknowledgement[] {
  const out: NagAcknowledgement[] = [];
  const { lake, results, jobs, rerun, settings } = stack;
  const lakeArn = settings.lakeBucketName
    ? `arn:<AWS::Partition>:s3:::${settings.lakeBucketName}`
    : arnRef(lake.bucket);
  for (const folder of lake.folders())
    out.push({
      scope: jobs.policy,
      id: `AwsSolutions-IAM5[Resource::${lakeArn}/${folder}*]`,
      reason: `Read access to the objects of one lake source folder (${folder}); object keys (dt/hour/file) are not known in advance.`,
    });
  for (const [name, fn] of Object.entries(jobs.functions) as [
    FunctionName,
    (typeof jobs.functions)[FunctionName],
  ][]) {
    for (const g of areaGrants(name))
      out.push({
        scope: fn.role!,
        id: `AwsSolutions-IAM5[Resource::${arnRef(results.bucket)}/${g.prefix}*]`,
        reason: `${g.actions.join(', ')} on the objects under one prefix of the results bucket (${g.prefix}: ${STORAGE_LAYOUT[g.area].purpose}); keys are per query/window/incident.`,
      });
    out.push({
      scope: fn.role!,
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; AWS requires "*".',
    });
    out.push({
      scope: fn.role!,
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alert topic needs kms:GenerateDataKey* (as AWS documents for SNS SSE), on the topic key only.',
    });
  }
  for (const [name, fn] of Object.entries(jobs.functions)) {
    const scope = name === 'rerun' ? rerun.stateMachine : stack;
    out.push({
      scope,
      id: `AwsSolutions-IAM5[Resource::${arnRef(fn)}:*]`,
      reason: `lambda:InvokeFunction on the ${name} function and its versions (ARN:*), as CDK grants it to the ${name === 'rerun' ? 'rerun state machine' : 'schedule role'}; no other function.`,
    });
  }
  // CDK's singleton provider of AwsCustomResource (the deployed config's put): the Lambda basic
  // execution role is CDK's choice; its only other grant is s3:PutObject on config/vigil.json.
  const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON) as IConstruct | undefined;
  const providerRole = provider?.node.tryFindChild('ServiceRole');
  if (providerRole)
    out.push({
      scope: providerRole,
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's AwsCustomResource provider (deploys config/vigil.json on each deploy) logs with the AWS managed basic execution role; its only other permission is s3:PutObject on that one key.",
    });
  out.push({
    scope: rerun.stateMachine,
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and related) support no resource-level permissions; AWS requires "*".',
  });
  return out;
}
