import type { PolicyDocument, Principal } from './iam.js';

/**
 * A synthesized CloudFormation template "deployed" into the emulation: every resource gets a
 * physical name as CloudFormation would give it, and intrinsic functions (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Sub, Fn::Select, Fn::Split, pseudo parameters) resolve to those names, so the
 * functions' environment and the IAM policies name the same buckets, topics and keys the emulated
 * services hold.
 */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

export interface DeployOptions {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
}

export class Deployment {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;

  constructor(
    readonly template: CfnTemplate,
    o: DeployOptions,
  ) {
    this.stackName = o.stackName;
    this.account = o.account;
    this.region = o.region;
  }

  resource(id: string): CfnResource {
    const r = this.template.Resources[id];
    if (!r) throw new Error(`template has no resource ${id}`);
    return r;
  }

  /** Logical ids of one resource type. */
  ofType(type: string): string[] {
    return Object.keys(this.template.Resources).filter((id) => this.template.Resources[id]!.Type === type);
  }

  /** The physical name CloudFormation would generate (or the name the template sets). */
  physicalName(id: string): string {
    const r = this.resource(id);
    const p = r.Properties ?? {};
    const named = (key: string) => (p[key] !== undefined ? String(this.resolve(p[key])) : undefined);
    const generated = `${this.stackName}-${id}`.slice(0, 60);
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return named('BucketName') ?? generated.toLowerCase();
      case 'AWS::SNS::Topic':
        return named('TopicName') ?? generated;
      case 'AWS::IAM::Role':
        return named('RoleName') ?? generated;
      case 'AWS::IAM::ManagedPolicy':
        return named('ManagedPolicyName') ?? generated;
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? generated;
      case 'AWS::SQS::Queue':
        return named('QueueName') ?? generated;
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName') ?? `/aws/${generated}`;
      case 'AWS::Athena::WorkGroup':
        return named('Name') ?? generated;
      case 'AWS::StepFunctions::StateMachine':
        return named('StateMachineName') ?? generated;
      case 'AWS::Scheduler::Schedule':
        return named('Name') ?? generated;
      case 'AWS::KMS::Key':
        return `key-${id.toLowerCase()}`;
      case 'AWS::Glue::Database': {
        const input = p.DatabaseInput as { Name?: unknown } | undefined;
        return input?.Name !== undefined ? String(this.resolve(input.Name)) : generated;
      }
      case 'AWS::Glue::Table': {
        const input = p.TableInput as { Name?: unknown } | undefined;
        return input?.Name !== undefined ? String(this.resolve(input.Name)) : generated;
      }
      default:
        return generated;
    }
  }

  private ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': this.account,
      'AWS::Region': this.region,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/0`,
    };
    if (pseudo[id] !== undefined) return pseudo[id]!;
    const param = this.template.Parameters?.[id];
    if (param) return String(param.Default ?? '');
    const r = this.resource(id);
    const name = this.physicalName(id);
    switch (r.Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${this.region}:${this.account}:${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${this.account}:policy/${name}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
      default:
        return name;
    }
  }

  private getAtt(id: string, attr: string): string {
    const r = this.resource(id);
    const name = this.physicalName(id);
    const { region, account } = this;
    const arns: Record<string, string> = {
      'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
      'AWS::SNS::Topic': `arn:aws:sns:${region}:${account}:${name}`,
      'AWS::IAM::Role': `arn:aws:iam::${account}:role/${name}`,
      'AWS::Lambda::Function': `arn:aws:lambda:${region}:${account}:function:${name}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${region}:${account}:${name}`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${region}:${account}:log-group:${name}:*`,
      'AWS::KMS::Key': `arn:aws:kms:${region}:${account}:key/${name}`,
      'AWS::StepFunctions::StateMachine': `arn:aws:states:${region}:${account}:stateMachine:${name}`,
      'AWS::Scheduler::Schedule': `arn:aws:scheduler:${region}:${account}:schedule/default/${name}`,
    };
    if (attr === 'Arn' && arns[r.Type]) return arns[r.Type]!;
    if (attr === 'TopicName' || attr === 'QueueName' || attr === 'Name') return name;
    if (attr === 'KeyId') return name;
    if (attr === 'QueueUrl') return this.ref(id);
    if (attr === 'TopicArn') return arns['AWS::SNS::Topic']!;
    if (attr === 'DomainName') return `${name}.s3.amazonaws.com`;
    if (attr === 'RegionalDomainName') return `${name}.s3.${region}.amazonaws.com`;
    return `${name}.${attr}`;
  }

  /** Resolves intrinsic functions in a template value. */
  resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.resolve(x)).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = o[k];
      switch (k) {
        case 'Ref':
          return arg === 'AWS::NoValue' ? NO_VALUE : this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(String(id), String(attr));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [i, items] = arg as [unknown, unknown];
          return (this.resolve(items) as unknown[])[Number(this.resolve(i))];
        }
        case 'Fn::Split': {
          const [sep, s] = arg as [string, unknown];
          return String(this.resolve(s)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg)
            ? (arg as [string, Record<string, unknown>])
            : [String(arg), {}];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (vars[name] !== undefined) return String(this.resolve(vars[name]));
            const dot = name.indexOf('.');
            return dot > 0 ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name);
          });
        }
        default:
          if (k.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${k}`);
      }
    }
    return Object.fromEntries(
      Object.entries(o)
        .map(([k, x]) => [k, this.resolve(x)] as const)
        .filter(([, x]) => x !== NO_VALUE),
    );
  }

  /** Resolved properties of a resource. */
  props(id: string): Record<string, unknown> {
    return this.resolve(this.resource(id).Properties ?? {}) as Record<string, unknown>;
  }

  /** The role as an IAM principal: its ARN and every policy attached to it (inline and managed). */
  principalOfRole(roleId: string): Principal {
    const roleArn = this.getAtt(roleId, 'Arn');
    const roleName = this.physicalName(roleId);
    const policies: PolicyDocument[] = [];
    const role = this.props(roleId);
    for (const p of (role.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? [])
      policies.push(p.PolicyDocument);
    const managed = new Set(((role.ManagedPolicyArns as string[] | undefined) ?? []).map(String));
    for (const id of this.ofType('AWS::IAM::Policy')) {
      const p = this.props(id);
      if (((p.Roles as string[] | undefined) ?? []).includes(roleName))
        policies.push(p.PolicyDocument as PolicyDocument);
    }
    for (const id of this.ofType('AWS::IAM::ManagedPolicy')) {
      const p = this.props(id);
      if (managed.has(this.ref(id)) || ((p.Roles as string[] | undefined) ?? []).includes(roleName))
        policies.push(p.PolicyDocument as PolicyDocument);
    }
    for (const arn of managed)
      if (arn.startsWith('arn:aws:iam::aws:policy/'))
        throw new Error(
          `role ${roleName} uses the AWS managed policy ${arn}, which the emulation cannot evaluate`,
        );
    return { arn: roleArn, account: this.account, policies };
  }

  /** The resource policy of a bucket, topic or key, by the resource's physical name or ARN. */
  bucketPolicy(bucket: string): PolicyDocument | undefined {
    for (const id of this.ofType('AWS::S3::BucketPolicy')) {
      const p = this.props(id);
      if (p.Bucket === bucket) return p.PolicyDocument as PolicyDocument;
    }
    return undefined;
  }

  topicPolicy(topicArn: string): PolicyDocument | undefined {
    for (const id of this.ofType('AWS::SNS::TopicPolicy')) {
      const p = this.props(id);
      if (((p.Topics as string[]) ?? []).includes(topicArn)) return p.PolicyDocument as PolicyDocument;
    }
    for (const id of this.ofType('AWS::SNS::TopicInlinePolicy')) {
      const p = this.props(id);
      if (p.TopicArn === topicArn) return p.PolicyDocument as PolicyDocument;
    }
    return undefined;
  }
}

const NO_VALUE = Symbol('AWS::NoValue');
