import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { exportConfig, type VigilConfig, validateConfig } from '../../shared/config/file.js';
import { parseYamlText } from '../../shared/config/parse.js';
import { prefixOf } from '../../shared/storage/layout.js';

export interface DeployedConfigProps {
  readonly bucket: s3.IBucket;
  /** The team's vigil.yaml (read and validated at synth); absent = the built-in core catalog. */
  readonly configFile?: string;
}

/** Object key of the deployed config in the results bucket (the functions' VIGIL_CONFIG_KEY). */
export const CONFIG_KEY = `${prefixOf('config')}vigil.json`;

/** A config larger than this does not belong inline in a template (CloudFormation allows 1 MB). */
const MAX_CONFIG_BYTES = 200_000;

/**
 * The team's config, deployed with the stack: the YAML is read and validated with the config schema
 * at synth (a bad file fails `cdk synth` with the one-line error the CLI prints) and written, as
 * `vigil config export` would, to `config/vigil.json` by a custom resource that may put that one key and nothing else. Its
 * content is a property of the resource, so every deploy whose file changed rewrites the object and
 * nothing set by hand drifts from the repo. JSON, so the bundles need no YAML parser.
 */
export class DeployedConfig extends Construct {
  readonly config: VigilConfig;
  readonly key = CONFIG_KEY;
  readonly resource: cr.AwsCustomResource;
  readonly json: string;

  constructor(scope: Construct, id: string, props: DeployedConfigProps) {
    super(scope, id);
    const raw: unknown = props.configFile
      ? parseYamlText(readFileSync(props.configFile, 'utf8'), props.configFile)
      : {};
    this.config = validateConfig(raw, props.configFile ?? 'core catalog');
    // What `vigil config export` writes: the resolved config, which resolves to itself.
    this.json = JSON.stringify(exportConfig(this.config));
    if (Buffer.byteLength(this.json) > MAX_CONFIG_BYTES)
      throw new Error(
        `${props.configFile}: ${Buffer.byteLength(this.json)} bytes as JSON is more than ${MAX_CONFIG_BYTES}`,
      );
    const hash = createHash('sha256').update(this.json).digest('hex').slice(0, 16);
    const put: cr.AwsSdkCall = {
      service: 'S3',
      action: 'putObject',
      parameters: {
        Bucket: props.bucket.bucketName,
        Key: CONFIG_KEY,
        Body: this.json,
        ContentType: 'application/json',
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${CONFIG_KEY}@${hash}`),
    };
    this.resource = new cr.AwsCustomResource(this, 'Put', {
      onCreate: put,
      onUpdate: put,
      // On stack deletion the object stays (the results bucket is retained too).
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [props.bucket.arnForObjects(CONFIG_KEY)],
        }),
      ]),
      installLatestAwsSdk: false,
    });
  }
}
