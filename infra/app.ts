import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VigilStack } from './vigil-stack.js';

/** `npx cdk synth|deploy` entry: one stack, configured by `-c vigil:<key>=<value>` (see infra/README.md). */
const app = new App();
new VigilStack(app, app.node.tryGetContext('vigil:stackName') ?? 'Vigil', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description:
    'Vigil trust & safety metrics: Athena over the S3 event lake, scheduled Lambda jobs, SNS alerts',
});
// cdk-nag runs at synth; an unacknowledged finding fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
