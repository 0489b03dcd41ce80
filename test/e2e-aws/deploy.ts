import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmulatedAccount } from './account.js';
import { AthenaEmulator } from './athena.js';
import type { PolicyDocument, Principal } from './iam.js';
import type { FunctionSpec } from './lambda.js';
import { LambdaEmulator } from './lambda-api.js';
import type { TlsIdentity } from './loopback.js';
import { S3Emulator } from './s3.js';
import { SfnEmulator } from './sfn.js';
import { SnsEmulator } from './sns.js';
import { SqsEmulator } from './sqs.js';
import { type CfnTemplate, Deployment } from './template.js';

export interface ExistingBucket {
  readonly name: string;
  readonly kmsKeyArn?: string;
}

export interface EmulatedStackOptions {
  /** The cloud assembly folder (`cdk.out`) and the stack's name in it. */
  readonly assembly: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** Buckets outside the stack it refers to (an existing lake), created empty. */
  readonly existingBuckets?: readonly ExistingBucket[];
  /** KMS keys outside the stack (an existing lake's key); the key policy delegates to the account. */
  readonly existingKeys?: readonly string[];
  /** Glue tables outside the stack (an existing database). */
  readonly existingTables?: readonly Parameters<AthenaEmulator['addTable']>[0][];
  /**
   * The services' TLS identity: they serve HTTPS with it (and plain HTTP beside it), the functions
   * are pointed at the HTTPS endpoints and trust it. Without it everything is plain HTTP, and the
   * stack's TLS-only policies deny every request.
   */
  readonly tls?: TlsIdentity;
}

/** Runtime-only variables Lambda sets besides the function's own environment. */
function runtimeEnv(o: {
  region: string;
  name: string;
  memoryMb: number;
  accessKeyId: string;
  taskRoot: string;
  endpoints: Record<string, string>;
}): Record<string, string> {
  return {
    AWS_REGION: o.region,
    AWS_DEFAULT_REGION: o.region,
    AWS_LAMBDA_FUNCTION_NAME: o.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${o.name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: o.taskRoot,
    TZ: ':UTC',
    AWS_ACCESS_KEY_ID: o.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'emulated-secret',
    AWS_SESSION_TOKEN: 'emulated-session',
    // No X-Ray daemon here: the tracer's segments would only log "missing trace data".
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...o.endpoints,
  };
}

/**
 * A synthesized stack "deployed" into the emulation: buckets (with bucket policies and default
 * encryption), KMS keys (key policies), topics (topic policies, SSE key), the Athena workgroup,
 * Glue tables, and each function's bundle, role and environment — all read from the template and
 * the assembly's assets, nothing restated by hand.
 */
export class EmulatedStack {
  readonly account: EmulatedAccount;
  readonly s3: S3Emulator;
  readonly athena: AthenaEmulator;
  readonly sns: SnsEmulator;
  readonly sqs: SqsEmulator;
  readonly lambda: LambdaEmulator;
  readonly sfn: SfnEmulator;
  readonly deployment: Deployment;
  readonly functions = new Map<string, FunctionSpec & { roleId: string; logicalId: string }>();
  private readonly root: string;

  constructor(readonly o: EmulatedStackOptions) {
    const template = JSON.parse(
      readFileSync(path.join(o.assembly, `${o.stackName}.template.json`), 'utf8'),
    ) as CfnTemplate;
    this.deployment = new Deployment(template, o);
    this.account = new EmulatedAccount(o.account, o.region);
    this.root = mkdtempSync(path.join(tmpdir(), 'vigil-emulated-s3-'));
    this.s3 = new S3Emulator(this.account, this.root, o.tls);
    this.athena = new AthenaEmulator(this.account, this.s3, o.tls);
    this.sqs = new SqsEmulator(this.account, o.tls);
    this.sns = new SnsEmulator(this.account, o.tls, this.sqs);
    this.lambda = new LambdaEmulator(this.account, this.functions, o.tls);
    this.sfn = new SfnEmulator(this.account, this.lambda, o.tls);
  }

  /** Endpoints of every emulated service, by SDK service id (AWS_ENDPOINT_URL_<id>). */
  endpoints(): Record<'s3' | 'athena' | 'sns' | 'sqs' | 'lambda' | 'sfn', string> {
    return {
      s3: this.s3.endpoint,
      athena: this.athena.endpoint,
      sns: this.sns.endpoint,
      sqs: this.sqs.endpoint,
      lambda: this.lambda.endpoint,
      sfn: this.sfn.endpoint,
    };
  }

  async start(): Promise<void> {
    const d = this.deployment;
    await Promise.all([
      this.s3.start(),
      this.athena.start(),
      this.sns.start(),
      this.sqs.start(),
      this.lambda.start(),
      this.sfn.start(),
    ]);
    // What the functions' SDK clients reach (they use S3, Athena and SNS only).
    const endpoints = {
      AWS_ENDPOINT_URL_S3: this.s3.endpoint,
      AWS_ENDPOINT_URL_ATHENA: this.athena.endpoint,
      AWS_ENDPOINT_URL_SNS: this.sns.endpoint,
    };
    for (const key of this.o.existingKeys ?? [])
      this.account.addKey({
        arn: key,
        policy: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${this.o.account}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        },
      });
    for (const id of d.ofType('AWS::KMS::Key'))
      this.account.addKey({
        arn: d.resolve({ 'Fn::GetAtt': [id, 'Arn'] }) as string,
        policy: d.props(id).KeyPolicy as PolicyDocument,
      });
    for (const b of this.o.existingBuckets ?? [])
      this.s3.addBucket({ name: b.name, ...(b.kmsKeyArn ? { kmsKeyArn: b.kmsKeyArn } : {}) });
    for (const id of d.ofType('AWS::S3::Bucket')) {
      const name = d.physicalName(id);
      const enc = (
        d.props(id).BucketEncryption as
          | {
              ServerSideEncryptionConfiguration: {
                ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: string };
              }[];
            }
          | undefined
      )?.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault;
      const policy = d.bucketPolicy(name);
      this.s3.addBucket({
        name,
        ...(policy ? { policy } : {}),
        ...(enc?.SSEAlgorithm === 'aws:kms' && enc.KMSMasterKeyID ? { kmsKeyArn: enc.KMSMasterKeyID } : {}),
      });
    }
    for (const id of d.ofType('AWS::SNS::Topic')) {
      const arn = d.resolve({ Ref: id }) as string;
      const p = d.props(id);
      const policy = d.topicPolicy(arn);
      this.sns.addTopic({
        arn,
        ...(policy ? { policy } : {}),
        ...(p.KmsMasterKeyId ? { kmsKeyArn: String(p.KmsMasterKeyId) } : {}),
      });
    }
    for (const id of d.ofType('AWS::Athena::WorkGroup')) {
      const p = d.props(id) as {
        Name: string;
        WorkGroupConfiguration: {
          ResultConfiguration: { OutputLocation: string };
          BytesScannedCutoffPerQuery?: number;
        };
      };
      this.athena.addWorkGroup({
        name: p.Name,
        outputLocation: p.WorkGroupConfiguration.ResultConfiguration.OutputLocation,
        ...(p.WorkGroupConfiguration.BytesScannedCutoffPerQuery
          ? { bytesScannedCutoffPerQuery: p.WorkGroupConfiguration.BytesScannedCutoffPerQuery }
          : {}),
      });
    }
    for (const t of this.o.existingTables ?? []) this.athena.addTable(t);
    for (const id of d.ofType('AWS::Glue::Table')) {
      const p = d.props(id) as {
        DatabaseName: string;
        TableInput: {
          Name: string;
          TableType?: string;
          PartitionKeys?: { Name: string }[];
          StorageDescriptor?: { Location?: string; Columns?: { Name: string; Type: string }[] };
        };
      };
      const t = p.TableInput;
      if (t.TableType === 'VIRTUAL_VIEW' || !t.StorageDescriptor?.Location) continue;
      this.athena.addTable({
        database: p.DatabaseName,
        name: t.Name,
        location: t.StorageDescriptor.Location,
        columns: (t.StorageDescriptor.Columns ?? []).map((c) => ({ name: c.Name, type: c.Type })),
        partitionKeys: (t.PartitionKeys ?? []).map((k) => k.Name),
      });
    }
    this.deployBucketContent();
    for (const id of d.ofType('AWS::Lambda::Function')) {
      const p = d.props(id) as {
        Handler: string;
        Code: { S3Key?: string };
        Role: string;
        Timeout?: number;
        MemorySize?: number;
        Environment?: { Variables?: Record<string, string> };
      };
      const roleId = (d.resource(id).Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const asset = path.join(this.o.assembly, `asset.${String(p.Code.S3Key).replace(/\.zip$/, '')}`);
      const [file, handler] = p.Handler.split('.') as [string, string];
      const bundle = ['.mjs', '.js', '.cjs'].map((ext) => path.join(asset, `${file}${ext}`)).find(existsSync);
      // Only Vigil's job functions (CloudFormation runs CDK's provider functions, not the test).
      if (!bundle || !p.Environment?.Variables?.VIGIL_WORKGROUP) continue;
      const name = d.physicalName(id);
      const accessKeyId = `AKIA${id
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 16)}`;
      this.account.addPrincipal(accessKeyId, d.principalOfRole(roleId));
      const memoryMb = p.MemorySize ?? 128;
      this.functions.set(name, {
        name,
        logicalId: id,
        roleId,
        bundle,
        handler,
        timeoutMs: (p.Timeout ?? 3) * 1000,
        memoryMb,
        env: {
          ...(p.Environment?.Variables ?? {}),
          ...runtimeEnv({ region: this.o.region, name, memoryMb, accessKeyId, taskRoot: asset, endpoints }),
        },
        ...(this.o.tls ? { trustedCa: this.o.tls.cert } : {}),
      });
    }
    for (const id of d.ofType('AWS::StepFunctions::StateMachine')) {
      const p = d.props(id) as { DefinitionString: string };
      const roleId = (d.resource(id).Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })[
        'Fn::GetAtt'
      ][0];
      this.sfn.addStateMachine({
        arn: d.resolve({ Ref: id }) as string,
        definition: String(p.DefinitionString),
        role: d.principalOfRole(roleId),
      });
    }
  }

  /** Registers a caller outside the stack (an operator running the smoke steps) with its policies. */
  addCaller(accessKeyId: string, name: string, policies: readonly PolicyDocument[]): void {
    this.account.addPrincipal(accessKeyId, {
      arn: `arn:aws:iam::${this.o.account}:user/${name}`,
      account: this.o.account,
      policies,
    });
  }

  /** What the stack's custom resources do on create: CDK bucket deployments and AwsCustomResource S3 puts. */
  private deployBucketContent(): void {
    const d = this.deployment;
    for (const id of d.ofType('Custom::AWS')) {
      const call = JSON.parse(String(d.props(id).Create)) as {
        service: string;
        action: string;
        parameters: { Bucket: string; Key: string; Body: string };
      };
      if (call.service !== 'S3' || call.action !== 'putObject')
        throw new Error(`custom resource ${id}: ${call.service}.${call.action} is not emulated`);
      this.s3.write(call.parameters.Bucket, call.parameters.Key, call.parameters.Body);
    }
    for (const id of d.ofType('Custom::CDKBucketDeployment')) {
      const p = d.props(id) as {
        SourceObjectKeys: string[];
        DestinationBucketName: string;
        DestinationBucketKeyPrefix?: string;
      };
      for (const key of p.SourceObjectKeys) {
        const dir = path.join(this.o.assembly, `asset.${key.replace(/\.zip$/, '')}`);
        if (!existsSync(dir))
          throw new Error(`bucket deployment asset ${dir} is not a folder in the assembly`);
        cpSync(dir, path.join(this.s3.root, p.DestinationBucketName, p.DestinationBucketKeyPrefix ?? ''), {
          recursive: true,
        });
      }
    }
  }

  /** A function by the start of its logical id (`JobsHourly`). */
  fn(logicalPrefix: string): FunctionSpec & { roleId: string; logicalId: string } {
    const f = [...this.functions.values()].find((x) => x.logicalId.startsWith(logicalPrefix));
    if (!f) throw new Error(`no emulated function ${logicalPrefix}`);
    return f;
  }

  /** The principal of a function's role (its policies may be edited by a test). */
  principalOf(fn: { env: Record<string, string> }): Principal {
    return this.account.principal(fn.env.AWS_ACCESS_KEY_ID!)!;
  }

  /** The stack output of that name, resolved. */
  output(name: string): string {
    return String(this.deployment.resolve(this.deployment.template.Outputs?.[name]?.Value));
  }

  async stop(): Promise<void> {
    await this.sfn.stop();
    await this.lambda.stop();
    await this.s3.stop();
    await this.athena.stop();
    await this.sns.stop();
    await this.sqs.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
