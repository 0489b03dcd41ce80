import { Duration, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type ColumnType, SOURCE_COLUMNS, SOURCE_NAMES } from '../../shared/lake/sources.js';

export interface EventLakeProps {
  /** Use this existing bucket; else one is created (encrypted, TLS-only, private, logged). */
  readonly bucketName?: string;
  readonly prefix: string;
  readonly databaseName: string;
  /** First dt partition projection enumerates. */
  readonly startDate: string;
  readonly accessLogs: s3.IBucket;
}

const HIVE_TYPE: Record<ColumnType, string> = {
  TIMESTAMP: 'timestamp',
  VARCHAR: 'string',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
};

/**
 * The S3 event lake and its Glue tables: one table per source over
 * `<prefix><source>/dt=YYYY-MM-DD/hour=HH/*.parquet`, with partition projection on dt and hour, so a
 * new hour is queryable the moment its files land (no crawler, no MSCK REPAIR, no partition API).
 */
export class EventLake extends Construct {
  readonly bucket: s3.IBucket;
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly tables: Record<string, glue.CfnTable> = {};
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: EventLakeProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.databaseName = props.databaseName;
    this.bucket = props.bucketName
      ? s3.Bucket.fromBucketName(this, 'Bucket', props.bucketName)
      : new s3.Bucket(this, 'Bucket', {
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          versioned: true,
          serverAccessLogsBucket: props.accessLogs,
          serverAccessLogsPrefix: 'lake/',
          lifecycleRules: [
            { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
          ],
        });
    const { account } = Stack.of(this);
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: props.databaseName,
        description: 'Vigil trust & safety event lake (partition projection) and metric history',
      },
    });
    for (const source of SOURCE_NAMES) {
      const location = `s3://${this.bucket.bucketName}/${props.prefix}${source}/`;
      const table = new glue.CfnTable(this, `Table${pascal(source)}`, {
        catalogId: account,
        databaseName: props.databaseName,
        tableInput: {
          name: source,
          description: `Vigil event lake source ${source} (Parquet, hive partitions dt/hour)`,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: [
            { name: 'dt', type: 'string' },
            { name: 'hour', type: 'string' },
          ],
          parameters: {
            classification: 'parquet',
            EXTERNAL: 'TRUE',
            'parquet.compression': 'SNAPPY',
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': `${props.startDate},NOW`,
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'projection.hour.type': 'integer',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
            'storage.location.template': `${location}dt=\${dt}/hour=\${hour}`,
          },
          storageDescriptor: {
            location,
            columns: Object.entries(SOURCE_COLUMNS[source] as Record<string, ColumnType>).map(
              ([name, t]) => ({
                name,
                type: HIVE_TYPE[t],
              }),
            ),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            },
          },
        },
      });
      table.node.addDependency(this.database);
      this.tables[source] = table;
    }
  }

  /** ARNs of the lake's objects, one prefix per source (what the jobs may read). */
  objectArns(): string[] {
    return SOURCE_NAMES.map((s) => this.bucket.arnForObjects(`${this.prefix}${s}/*`));
  }
}

export function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
