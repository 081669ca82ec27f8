#!/usr/bin/env -S npx tsx
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RecoveryStack } from '../lib/recovery-stack.ts';

const app = new App();
const stack = new RecoveryStack(app, app.node.tryGetContext('recovery:stackName') ?? 'CoordinatorRecovery');
if (stack.settings.exampleKeys.length > 0) {
  process.stderr.write(
    `coordinator-recovery: example values in use for ${stack.settings.exampleKeys.join(', ')}.\n` +
      'Fine for `cdk synth`; set them in cdk.json "context" or with -c before `cdk deploy` (README "Deploy on AWS").\n',
  );
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
