import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RecoveryConfig } from '../../lib/config.ts';
import { RecoveryStack, type RecoveryStackProps } from '../../lib/recovery-stack.ts';

export interface Synthesized {
  stack: RecoveryStack;
  template: Template;
  json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  validationReport: ValidationReport;
  /** The cloud assembly directory (bundled assets live here). */
  assemblyDir: string;
  dispose(): void;
}

export interface NagFinding {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
  /** Set on acknowledged (suppressed) findings. */
  reason?: string;
}

export interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: NagFinding[]; suppressedViolations?: NagFinding[] }[];
}

/**
 * One synthesis with the cdk-nag AwsSolutions pack registered, as bin/app.ts does. Bundling is
 * skipped (`aws:cdk:bundling-stacks` = none): esbuild for ten Lambdas is the slow part, template
 * assertions do not need the code, and test/cdk/bundling runs esbuild once for real.
 */
export function synthesize(options: { config?: Partial<RecoveryConfig>; props?: Omit<RecoveryStackProps, 'config'> } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'recovery-cdk-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new RecoveryStack(app, 'CoordinatorRecovery', { ...options.props, ...(options.config ? { config: options.config } : {}) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Throws with the report when cdk-nag finds anything unacknowledged.
  const assembly = app.synth();
  const stackArtifact = assembly.getStackByName(stack.stackName);
  const json = JSON.parse(readFileSync(stackArtifact.templateFullPath, 'utf8')) as Synthesized['json'];
  const reportPath = join(assembly.directory, 'validation-report.json');
  const validationReport = JSON.parse(readFileSync(reportPath, 'utf8')) as ValidationReport;
  return {
    stack,
    template: Template.fromJSON(json),
    json,
    validationReport,
    assemblyDir: assembly.directory,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

export function resourcesOfType(json: Synthesized['json'], type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(json.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}
