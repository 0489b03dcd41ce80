import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertTopicsProps {
  readonly alertEmail?: string;
  readonly opsEmail?: string;
}

/**
 * Two KMS-encrypted, TLS-only topics: `alerts` for T&S incidents (message attributes severity,
 * metric, region for subscription filter policies) and `ops` for the stack's own alarms.
 */
export class AlertTopics extends Construct {
  readonly key: kms.Key;
  readonly alerts: sns.Topic;
  readonly ops: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Vigil SNS topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted ops topic: the service needs the key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alerts = new sns.Topic(this, 'Alerts', {
      displayName: 'Vigil T&S alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.ops = new sns.Topic(this, 'Ops', {
      displayName: 'Vigil operations',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alertEmail) this.alerts.addSubscription(new subs.EmailSubscription(props.alertEmail));
    if (props.opsEmail) this.ops.addSubscription(new subs.EmailSubscription(props.opsEmail));
  }
}
