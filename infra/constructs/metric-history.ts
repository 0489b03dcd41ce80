import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { prefixOf } from '../../shared/storage/layout.js';

export interface MetricHistoryProps {
  readonly bucket: s3.IBucket;
  /** The stack's lake database, when the history lives in it (else the history gets its own). */
  readonly database?: glue.CfnDatabase;
  readonly databaseName: string;
  readonly startDate: string;
}

/** Raw columns of the metric store CSV (header `metric,grain,window_start,slice,value,…`). */
const CSV_COLUMNS = [
  'metric',
  'grain',
  'window_start',
  'slice',
  'value',
  'numerator',
  'denominator',
  'ci_low',
  'ci_high',
  'samples',
] as const;
const NUMERIC = new Set(['value', 'numerator', 'denominator', 'ci_low', 'ci_high', 'samples']);

export const METRIC_STORE_TABLE = 'metric_store_csv';
export const METRIC_HISTORY_VIEW = 'metric_history';

/** The typed view over the raw CSV table: empty numbers become NULL, window_start a timestamp. */
export function metricHistoryViewSql(database: string): string {
  const cols = CSV_COLUMNS.map((c) =>
    c === 'window_start'
      ? `CAST(from_iso8601_timestamp(window_start) AS timestamp) AS window_start`
      : NUMERIC.has(c)
        ? `TRY_CAST(NULLIF(${c}, '') AS double) AS ${c}`
        : c,
  );
  return `SELECT ${cols.join(', ')}, p_grain, p_window FROM "${database}"."${METRIC_STORE_TABLE}"`;
}

/**
 * The metric store as Athena tables, for history queries:
 * - `metric_store_csv`: the window CSV files (OpenCSVSerde, quoted fields, header skipped), partitioned
 *   by projection on grain and window folder. `_manifest.json` files are ignored: Athena skips files
 *   whose names start with `_`. Between a rerun's new data file and the deletion of the old one (the
 *   same invocation, milliseconds), a reader may see both: history is eventually consistent.
 * - `metric_history`: a Presto view typing the values.
 */
export class MetricHistory extends Construct {
  readonly table: glue.CfnTable;
  readonly view: glue.CfnTable;

  constructor(scope: Construct, id: string, props: MetricHistoryProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    const database =
      props.database ??
      new glue.CfnDatabase(this, 'Database', {
        catalogId: account,
        databaseInput: {
          name: props.databaseName,
          description: 'Vigil metric history (metric store as tables)',
        },
      });
    const location = `s3://${props.bucket.bucketName}/${prefixOf('metrics')}`;
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: props.databaseName,
      tableInput: {
        name: METRIC_STORE_TABLE,
        description: 'Vigil metric store windows (CSV); query the metric_history view',
        tableType: 'EXTERNAL_TABLE',
        // Partition names differ from the path keys so they cannot clash with the CSV's own grain column.
        partitionKeys: [
          { name: 'p_grain', type: 'string' },
          { name: 'p_window', type: 'string' },
        ],
        parameters: {
          classification: 'csv',
          EXTERNAL: 'TRUE',
          'skip.header.line.count': '1',
          'projection.enabled': 'true',
          'projection.p_grain.type': 'enum',
          'projection.p_grain.values': 'hour,day',
          'projection.p_window.type': 'date',
          'projection.p_window.format': "yyyy-MM-dd'T'HHmmss'Z'",
          'projection.p_window.range': `${props.startDate}T000000Z,NOW`,
          'projection.p_window.interval': '1',
          'projection.p_window.interval.unit': 'HOURS',
          'storage.location.template': `${location}grain=\${p_grain}/window=\${p_window}/`,
        },
        storageDescriptor: {
          location,
          columns: CSV_COLUMNS.map((name) => ({ name, type: 'string' })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
            parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
          },
        },
      },
    });
    this.table.node.addDependency(database);

    const presto = {
      originalSql: metricHistoryViewSql(props.databaseName),
      catalog: 'awsdatacatalog',
      schema: props.databaseName,
      columns: [
        ...CSV_COLUMNS.map((c) => ({
          name: c,
          type: c === 'window_start' ? 'timestamp' : NUMERIC.has(c) ? 'double' : 'varchar',
        })),
        { name: 'p_grain', type: 'varchar' },
        { name: 'p_window', type: 'varchar' },
      ],
    };
    this.view = new glue.CfnTable(this, 'View', {
      catalogId: account,
      databaseName: props.databaseName,
      tableInput: {
        name: METRIC_HISTORY_VIEW,
        description: 'Vigil metric history (typed view over metric_store_csv)',
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(presto)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: presto.columns.map((c) => ({
            name: c.name,
            type: c.type === 'varchar' ? 'string' : c.type,
          })),
          serdeInfo: {},
        },
      },
    });
    this.view.node.addDependency(this.table);
  }
}
