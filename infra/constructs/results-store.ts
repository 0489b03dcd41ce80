import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type PrefixSpec, prefixOf, STORAGE_LAYOUT, type StorageArea } from '../../shared/storage/layout.js';

/** One expiry rule per area the layout gives a retention. */
function retentionRules(): s3.LifecycleRule[] {
  return (Object.keys(STORAGE_LAYOUT) as StorageArea[]).flatMap((area) => {
    const spec: PrefixSpec = STORAGE_LAYOUT[area];
    return spec.retentionDays === undefined
      ? []
      : [
          {
            id: `expire-${STORAGE_LAYOUT[area].prefix.replaceAll('/', '-')}`,
            prefix: prefixOf(area),
            expiration: Duration.days(spec.retentionDays),
            noncurrentVersionExpiration: Duration.days(1),
          },
        ];
  });
}

export interface ResultsStoreProps {
  /** Days Athena query results are kept before the lifecycle deletes them. */
  readonly queryResultsDays: number;
}

/**
 * The bucket for Athena query results and the store (every area of STORAGE_LAYOUT: metric windows,
 * leases, alert state and outbox, report, config):
 * encrypted, TLS-only, private, versioned, access-logged, with lifecycle rules on query results.
 */
export class ResultsStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ResultsStoreProps) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'results/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-athena-query-results',
          prefix: prefixOf('athenaResults'),
          expiration: Duration.days(props.queryResultsDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          // Metric windows are replaced by reruns; old versions are kept a month for recovery.
          id: 'expire-replaced-store-versions',
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        ...retentionRules(),
      ],
    });
  }
}
