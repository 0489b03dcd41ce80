import { Duration, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { MetricConfig } from '../../shared/config/schema.js';
import { type ColumnType, SOURCE_COLUMNS, SOURCE_NAMES, type SourceName } from '../../shared/lake/sources.js';

export interface EventLakeProps {
  /** Use this existing bucket; else one is created (encrypted, TLS-only, private, logged). */
  readonly bucketName?: string;
  readonly prefix: string;
  readonly databaseName: string;
  /** First dt partition projection enumerates. */
  readonly startDate: string;
  readonly accessLogs: s3.IBucket;
  /** The config's `sources:` mappings: table and column names of each source. */
  readonly sources?: MetricConfig['sources'];
  /** The Glue database and its tables exist already (not created, never changed by the stack). */
  readonly existingDatabase?: boolean;
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
  /** Absent when the database exists already. */
  readonly database?: glue.CfnDatabase;
  readonly databaseName: string;
  /** Physical table (and lake folder) name of each source, after the config's mappings. */
  readonly tableNames: Record<SourceName, string>;
  readonly tables: Record<string, glue.CfnTable> = {};
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: EventLakeProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.databaseName = props.databaseName;
    const sources = props.sources ?? {};
    this.tableNames = Object.fromEntries(SOURCE_NAMES.map((s) => [s, sources[s]?.table ?? s])) as Record<
      SourceName,
      string
    >;
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
    if (props.existingDatabase) return;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: props.databaseName,
        description: 'Vigil trust & safety event lake (partition projection) and metric history',
      },
    });
    const database = this.database;
    for (const source of SOURCE_NAMES) {
      const tableName = this.tableNames[source];
      const mapping = sources[source];
      const physical = (column: string) =>
        column === 'event_time' && mapping?.time_column
          ? mapping.time_column
          : (mapping?.columns?.[column] ?? column);
      const location = `s3://${this.bucket.bucketName}/${props.prefix}${tableName}/`;
      const table = new glue.CfnTable(this, `Table${pascal(source)}`, {
        catalogId: account,
        databaseName: props.databaseName,
        tableInput: {
          name: tableName,
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
                name: physical(name),
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
      table.node.addDependency(database);
      this.tables[source] = table;
    }
  }

  /** ARNs of the lake's objects, one prefix per source table (what the jobs may read). */
  objectArns(): string[] {
    return SOURCE_NAMES.map((s) => this.bucket.arnForObjects(`${this.prefix}${this.tableNames[s]}/*`));
  }

  /** `prefix/table/` of each source, for ListBucket conditions and docs. */
  folders(): string[] {
    return SOURCE_NAMES.map((s) => `${this.prefix}${this.tableNames[s]}/`);
  }
}

export function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
