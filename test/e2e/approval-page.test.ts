/**
 * The approval page in a real browser (Debian's chromium driven by playwright-core), served by
 * the approval endpoint behind the local Function URL against the AWS stand-ins: the link comes
 * from the mail RequestApproval publishes, the decision must reach the Step Functions stand-in.
 * With UPDATE_SCREENSHOTS=1 the screenshots go to docs/approval-page/ (the README shows them).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanTargetOutput } from '../../lambdas/core/workflow/documents.ts';
import { putJson } from '../../lambdas/aws/artifacts.ts';
import { createHandler as createApprovalEndpoint } from '../../lambdas/handlers/approval-endpoint.ts';
import { createHandler as createRequestApproval } from '../../lambdas/handlers/request-approval.ts';
import { startAwsStandins, secretArn, type AwsStandins, type TaskOutcome } from '../../local/aws/index.ts';
import { BrokerLogSink } from '../../local/kafka/broker-log.ts';
import { clientsFromEnvironment, type LocalClients } from '../../local/stepfunctions/lambda-runtime.ts';
import { startFunctionUrl } from '../../local/stepfunctions/function-url.ts';
import { request } from '../unit/core/workflow/fixtures.ts';
import { pageGroup, pagePlan } from '../unit/handlers/approval-page-fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const BUCKET = 'artifacts';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:approvals';
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:CoordinatorRecovery-runbook';
const TTL_SECONDS = 6 * 3600;
const SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1' ? fileURLToPath(new URL('../../docs/approval-page/', import.meta.url)) : null;

let aws: AwsStandins;
let clients: LocalClients;
let browser: Browser;
let shotsDir: string;
let closeUrl: () => Promise<void>;
let env: Record<string, string>;
let clock = new Date('2026-12-05T09:35:00Z');
const logger = new Logger({ serviceName: 'coordinator-recovery', logLevel: 'SILENT' });

beforeAll(async () => {
  const signingSecret = secretArn('eu-west-1', '123456789012', 'ApprovalLinkSigningKey');
  aws = await startAwsStandins({ cluster: { brokers: [], logs: new BrokerLogSink() }, buckets: [BUCKET], topics: [TOPIC], secrets: { [signingSecret]: 'an-approval-link-signing-key-of-enough-length' } });
  // The endpoint needs its own URL in its environment, so the URL starts first and calls it later.
  const endpoint: { handle?: ReturnType<typeof createApprovalEndpoint> } = {};
  const url = await startFunctionUrl(async (event) => endpoint.handle!(event));
  closeUrl = url.close;
  env = {
    ...aws.environment(),
    ARTIFACTS_BUCKET: BUCKET,
    APPROVAL_TOPIC_ARN: TOPIC,
    APPROVAL_SIGNING_SECRET_ARN: signingSecret,
    APPROVAL_ENDPOINT_URL: url.url,
    APPROVAL_LINK_TTL_SECONDS: String(TTL_SECONDS),
    STATE_MACHINE_ARN: MACHINE,
  };
  clients = clientsFromEnvironment(env);
  endpoint.handle = createApprovalEndpoint({ env, clients, logger, now: () => clock });
  if (!statSync(CHROMIUM, { throwIfNoEntry: false })) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (bash .ci/run does it)`);
  shotsDir = SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'approval-shots-'));
  mkdirSync(shotsDir, { recursive: true });
  // launch() gives chromium a fresh profile directory of its own and removes it on close.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await closeUrl?.();
  clients?.destroy();
  await aws?.stop();
  if (!SCREENSHOTS && shotsDir) rmSync(shotsDir, { recursive: true, force: true });
});

interface Asked {
  link: string;
  executionArn: string;
  decision: Promise<TaskOutcome>;
}

/** RequestApproval as AwaitApproval calls it; the link is read from the published mail. */
async function askForApproval(name: string): Promise<Asked> {
  const executionArn = `arn:aws:states:eu-west-1:123456789012:execution:CoordinatorRecovery-runbook:${name}`;
  const blocked = pageGroup({ sourceGroup: 'billing', targetGroup: 'billing-recovered-1', targetNameSource: 'input', blocked: true, blockedReason: 'the target group billing-recovered-1 has 2 members; stop them or pick another name' });
  const diffed = pageGroup({
    sourceGroup: 'inventory-sync',
    targetGroup: 'inventory-sync-recovered-1',
    existingTargetOffsets: [{ topic: 'orders', partition: 1, existing: '950', planned: '980', change: 'OVERWRITE' }],
  });
  const plan = { ...pagePlan([blocked, diffed, pageGroup()], ['shard __consumer_offsets-30 was read up to its deadline; groups there may be missing']), executionArn };
  const ref = await putJson({ s3: clients.s3(), bucket: BUCKET }, `executions/CoordinatorRecovery-runbook/${name}/plan.json`, plan);
  const planOutput: PlanTargetOutput = {
    plan: ref,
    planSha256: ref.sha256,
    summary: { planId: plan.planId, groups: plan.groups.length, partitions: 12, blockedGroups: 1, unreadGroups: 0, warnings: 1 },
  };
  const taskToken = `token-${name}`;
  const decision = aws.sfn.waitForTask(taskToken);
  await createRequestApproval({ env, clients, logger, now: () => clock })({
    request: request({ executionArn, region: 'eu-west-1' }),
    plan: planOutput,
    taskToken,
    incident: {
      diagnosis: {
        verdict: 'COORDINATOR_FAILED',
        evidence: [
          { kind: 'LOG', message: 'broker 2: "Failed to load metadata from __consumer_offsets-17" (3 lines, first 09:02:11Z)', partition: 17, brokerId: 2 },
          { kind: 'LIVE', message: 'orders-service: coordinator broker 2 answers NOT_COORDINATOR to OffsetFetch, twice after a metadata refresh', partition: 17, brokerId: 2 },
          { kind: 'LIVE', message: 'probe group on __consumer_offsets-30: NOT_COORDINATOR from broker 2', partition: 30, brokerId: 2 },
        ],
      },
      blastRadius: [
        { partition: 17, brokerId: 2, groupsToRecover: ['orders-service', 'inventory-sync'], affectedGroups: ['inventory-sync', 'orders-service'], topics: ['orders', 'payments'], detail: {} },
        { partition: 30, brokerId: 2, groupsToRecover: ['billing'], affectedGroups: ['audit-trail', 'billing'], topics: ['invoices'], detail: {} },
      ],
    },
  });
  const mail = await aws.sns.waitForMessage((m) => m.message.includes(executionArn));
  const link = /http:\/\/127\.0\.0\.1:\d+\/\?\S+/.exec(mail.message)?.[0];
  if (!link) throw new Error(`no approval link in the mail:\n${mail.message}`);
  return { link, executionArn, decision };
}

async function openPage(viewport: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  // A CSP violation or a script error shows up on the console; the page must cause neither.
  // (A 4xx answer is logged too; the tests check those statuses themselves.)
  page.on('console', (message) => {
    if ((message.type() === 'error' || message.type() === 'warning') && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

async function fitsWidth(page: Page, width: number): Promise<boolean> {
  // Runs in the page; the project's tsconfig has no DOM types.
  return page.evaluate((w) => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth <= w, width);
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  const path = join(shotsDir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  expect(statSync(path).size).toBeGreaterThan(5_000);
}

describe('the approval page in chromium', () => {
  it('desktop: reads summary first, draws the blast radius, approves; the decision reaches Step Functions and the link is spent', async () => {
    const asked = await askForApproval('browser-approve');
    const { page, problems } = await openPage(DESKTOP);
    expect((await page.goto(asked.link))!.status()).toBe(200);
    const summary = page.locator('section.banner');
    await expect(summary.textContent()).resolves.toContain('Nothing has been written to Kafka yet.');
    expect(await summary.locator('.stat').allTextContents()).toEqual(['2groups to seed (1 blocked)', '8partitions', '128total lag (messages)', '2warnings', '6 h 0 minleft to decide']);
    // The blast radius is drawn (not a script's doing: the CSP allows none) and visible.
    const svg = page.locator('svg[role=img]');
    expect(await svg.isVisible()).toBe(true);
    expect(await svg.locator('title').allTextContents()).toEqual(expect.arrayContaining(['broker 2', '__consumer_offsets-17', '__consumer_offsets-30', 'audit-trail', 'invoices']));
    expect(await page.locator('table').count()).toBe(4); // three groups' offsets, one diff
    expect(await page.locator('text=OVERWRITE').count()).toBe(1);
    expect(await fitsWidth(page, DESKTOP.width)).toBe(true);
    await shot(page, 'approve-desktop', false); // the first screen: what an approver reads before scrolling

    await page.fill('#approver', 'Ann Oncall');
    await page.fill('#comment', 'INC-4711, checked lag with the team');
    await page.click('button.approve');
    await expect(page.locator('h1').textContent()).resolves.toBe('Approved');
    const next = await page.locator('ol li').allTextContents();
    expect(next[0]).toContain('SeedOffsets commits the planned offsets');
    expect(await page.locator('a').getAttribute('href')).toBe(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(asked.executionArn)}`);
    await shot(page, 'approved-desktop', false);
    const outcome = await asked.decision;
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { approved: true, approvedBy: 'Ann Oncall', channel: 'link', comment: 'INC-4711, checked lag with the team' } });

    // The same link again: decided already, and nothing more reaches Step Functions.
    const answers = aws.sfn.answers.length;
    expect((await page.goto(asked.link))!.status()).toBe(409);
    await expect(page.locator('h1').textContent()).resolves.toBe('Not done: Already decided');
    await shot(page, 'reused-desktop', false);
    expect(aws.sfn.answers.length).toBe(answers);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('phone: the whole page fits 390 px (tables and drawing scroll inside their box), rejects; nothing is approved', async () => {
    const asked = await askForApproval('browser-reject');
    const { page, problems } = await openPage(PHONE);
    expect((await page.goto(asked.link))!.status()).toBe(200);
    expect(await fitsWidth(page, PHONE.width)).toBe(true);
    expect(await page.locator('button.approve').isVisible()).toBe(true);
    await shot(page, 'approve-phone', false);
    await page.fill('#approver', 'Bob Oncall');
    await page.fill('#comment', 'wrong target for billing');
    await page.click('button.reject');
    await expect(page.locator('h1').textContent()).resolves.toBe('Rejected');
    expect(await fitsWidth(page, PHONE.width)).toBe(true);
    await shot(page, 'rejected-phone', false);
    await expect(asked.decision).resolves.toEqual({ status: 'FAILED', error: 'ApprovalRejected', cause: 'Rejected by Bob Oncall: wrong target for billing' });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('an expired link shows why and decides nothing, at both widths', async () => {
    const asked = await askForApproval('browser-expired');
    const opened = clock;
    clock = new Date(opened.getTime() + (TTL_SECONDS + 60) * 1000);
    try {
      for (const [viewport, name] of [[DESKTOP, 'expired-desktop'], [PHONE, 'expired-phone']] as const) {
        const { page, problems } = await openPage(viewport);
        expect((await page.goto(asked.link))!.status()).toBe(410);
        await expect(page.locator('h1').textContent()).resolves.toBe('Not done: Link expired');
        expect(await page.locator('form').count()).toBe(0);
        expect(await fitsWidth(page, viewport.width)).toBe(true);
        await shot(page, name, false);
        expect(problems).toEqual([]);
        await page.context().close();
      }
    } finally {
      clock = opened;
    }
    expect(aws.sfn.waitingTokens()).toContain('token-browser-expired');
  });

  it('iam mode: the page shows the plan and the signed-CLI commands, with no working button; a forged POST is refused', async () => {
    Object.assign(env, { APPROVAL_MODE: 'iam', APPROVAL_IAM_ENDPOINT_URL: 'https://abcdefghij.lambda-url.eu-west-1.on.aws/' });
    try {
      const asked = await askForApproval('browser-iam');
      for (const [viewport, name] of [[DESKTOP, 'iam-desktop'], [PHONE, 'iam-phone']] as const) {
        const { page, problems } = await openPage(viewport);
        expect((await page.goto(asked.link))!.status()).toBe(200);
        expect(await page.locator('form').count()).toBe(0);
        expect(await page.locator('button').count()).toBe(0);
        const approve = page.locator('#cli-approve');
        expect(await approve.isVisible()).toBe(true);
        expect(await approve.textContent()).toBe(`coordinator-recovery approve --execution ${asked.executionArn} --plan-sha256 ${await planSha256Of(asked)} --url https://abcdefghij.lambda-url.eu-west-1.on.aws/`);
        await expect(page.locator('section.card', { has: page.locator('#cli-approve') }).textContent()).resolves.toContain('this page cannot approve');
        expect(await fitsWidth(page, viewport.width)).toBe(true);
        await page.locator('#cli-approve').scrollIntoViewIfNeeded();
        await shot(page, name, false);
        expect(problems).toEqual([]);
        await page.context().close();
      }
      // What a hand-made form would send: refused, and nothing reaches Step Functions.
      const answers = aws.sfn.answers.length;
      const forged = await fetch(asked.link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&approver=Mallory' });
      expect(forged.status).toBe(403);
      expect(aws.sfn.answers.length).toBe(answers);
      expect(aws.sfn.waitingTokens()).toContain('token-browser-iam');
    } finally {
      delete env['APPROVAL_MODE'];
      delete env['APPROVAL_IAM_ENDPOINT_URL'];
    }
  });
});

async function planSha256Of(asked: Asked): Promise<string> {
  const name = asked.executionArn.split(':')[7]!;
  const text = aws.s3.readText(BUCKET, `executions/CoordinatorRecovery-runbook/${name}/approval-request.json`)!;
  return (JSON.parse(text) as { planSha256: string }).planSha256;
}
