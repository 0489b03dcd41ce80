import * as athena from 'aws-cdk-lib/aws-athena';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { prefixOf } from '../../shared/storage/layout.js';

export interface QueryWorkgroupProps {
  readonly name: string;
  readonly resultsBucket: s3.IBucket;
  readonly bytesScannedCutoffPerQuery: number;
}

/**
 * The Athena workgroup the jobs run in. Its settings are enforced (a client cannot override the
 * output location or encryption), results are encrypted, and a query scanning more than the cutoff
 * is cancelled by Athena — a runaway query costs at most cutoff × $5/TB.
 */
export class QueryWorkgroup extends Construct {
  readonly workGroup: athena.CfnWorkGroup;
  readonly name: string;

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);
    this.name = props.name;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.name,
      description: 'Vigil scheduled metric jobs',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucket.bucketName}/${prefixOf('athenaResults')}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
