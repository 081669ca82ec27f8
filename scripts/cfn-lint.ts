/**
 * cfn-lint (AWS's CloudFormation linter, from PyPI) over the templates this project synthesizes:
 * the example stack for each auth mode whose resources differ (IAM; SCRAM with its secret and
 * key; TLS with a client certificate). Rules it skips, with the reason, are in .cfnlintrc.yaml.
 *
 *   npm run lint:cfn            # cfn-lint from .cache/cfn-lint (what .ci/run installs) or PATH
 *   CFN_LINT=/path/to/cfn-lint npm run lint:cfn
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { RecoveryConfig } from '../lib/config.ts';
import { RecoveryStack } from '../lib/recovery-stack.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One template per configuration whose resources differ. */
export const LINTED_CONFIGURATIONS: Record<string, Partial<RecoveryConfig>> = {
  iam: {},
  scram: {
    authMode: 'scram',
    scramSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_recovery-AbCdEf',
    scramSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  },
  tls: {
    authMode: 'tls',
    tlsClientCertificateSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:recovery/kafka-client-cert-AbCdEf',
    tlsClientCertificateSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  },
};

/** Synthesizes each configuration (without bundling: the templates do not depend on the code) and returns the template files. */
export function synthesizeTemplates(outdir: string): string[] {
  return Object.entries(LINTED_CONFIGURATIONS).map(([name, config]) => {
    const app = new App({ outdir: join(outdir, name), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new RecoveryStack(app, `CoordinatorRecovery-${name}`, { config });
    return app.synth().getStackByName(stack.stackName).templateFullPath;
  });
}

export function findCfnLint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['CFN_LINT']) return env['CFN_LINT'];
  const cached = join(ROOT, '.cache', 'cfn-lint', 'bin', 'cfn-lint');
  if (existsSync(cached)) return cached;
  const onPath = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return onPath.status === 0 ? 'cfn-lint' : undefined;
}

function main(): number {
  const cfnLint = findCfnLint();
  if (!cfnLint) {
    process.stderr.write('cfn-lint not found: install it with `python3 -m venv .cache/cfn-lint && .cache/cfn-lint/bin/pip install cfn-lint` (.ci/run does), or set CFN_LINT.\n');
    return 2;
  }
  const outdir = mkdtempSync(join(tmpdir(), 'recovery-cfn-lint-'));
  try {
    const templates = synthesizeTemplates(outdir);
    const result = spawnSync(cfnLint, ['--config-file', join(ROOT, '.cfnlintrc.yaml'), '--', ...templates], { stdio: 'inherit' });
    if (result.error) throw result.error;
    if (result.status === 0) process.stdout.write(`cfn-lint: ${templates.length} templates clean (${Object.keys(LINTED_CONFIGURATIONS).join(', ')})\n`);
    return result.status ?? 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
