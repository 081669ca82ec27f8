/**
 * The HTML pages the approval endpoint serves: the plan with its form on GET, the outcome after
 * the POST. Built to be read in ten seconds on a phone: the summary first, then the blast radius
 * as inline SVG (no script: the page's CSP allows none), the plan as tables, the diff against
 * the target's existing offsets, and the evidence.
 */
import type { GroupPlan, RecoveryPlan } from '../core/workflow/documents.ts';
import { MAX_ROWS_PER_GROUP } from '../core/workflow/plan-text.ts';
import { planOverview, timeLeft, type ApprovalIncident } from '../core/workflow/approval-incident.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
main{max-width:72em;margin:0 auto;padding:1em}
h1{font-size:1.4em;margin:.2em 0 .6em}
h2{font-size:1.1em;margin:1.4em 0 .5em}
h3{font-size:1em;margin:1em 0 .4em}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
code{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.card{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1em;margin:0 0 1em}
.banner{background:#e8f3ff;border-color:#9cc7f5}
.warn{background:#fff5e0;border-color:#f0c36d}
.bad{background:#fdecec;border-color:#eba3a3}
.good{background:#eaf7ee;border-color:#93d3a6}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5em,1fr));gap:.6em;margin:.6em 0}
.stat{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:.5em .7em}
.stat b{display:block;font-size:1.5em;line-height:1.2}
.stat span{color:#57606a;font-size:.85em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92em}
th,td{border-bottom:1px solid #e3e6ea;padding:.3em .6em;text-align:left;white-space:nowrap}
th{background:#eef1f4;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;border-radius:4px;padding:0 .4em;font-size:.85em;font-weight:600}
.t-ok{background:#dff3e4;color:#1a6b32}.t-warn{background:#fdf0d0;color:#7a5200}.t-bad{background:#fbdada;color:#8a1c1c}
ul.evidence{padding-left:1.2em;margin:.3em 0}ul.evidence li{margin:.15em 0}
form label{display:block;margin:.6em 0 .2em;font-weight:600}
input[type=text]{width:100%;max-width:30em;font:inherit;padding:.45em;border:1px solid #aab3bd;border-radius:6px}
.buttons{display:flex;flex-wrap:wrap;gap:.8em;margin-top:1em}
button{font:inherit;font-weight:600;padding:.65em 1.4em;border-radius:6px;border:1px solid transparent;cursor:pointer}
button.approve{background:#1f7a3a;color:#fff}button.reject{background:#fff;color:#a11;border-color:#a11}
.muted{color:#57606a;font-size:.9em}
pre.cli{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f3f5f7;border:1px solid #d8dde3;border-radius:6px;padding:.6em;white-space:pre-wrap;word-break:break-all}
svg text{font:12px system-ui,sans-serif}
`;

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body><main>
${body}
</main></body></html>
`;
}

function formatLag(value: bigint): string {
  return value.toLocaleString('en-US');
}

function stat(value: string, label: string): string {
  return `<div class="stat"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function statusTag(status: string): string {
  const tone = status === 'OK' ? 't-ok' : status === 'BELOW_LOG_START' || status === 'ABOVE_LOG_END' ? 't-bad' : 't-warn';
  return `<span class="tag ${tone}">${escapeHtml(status)}</span>`;
}

function table(headers: string[], rows: string[][], numeric: ReadonlySet<number>): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

// ---------------------------------------------------------------------------------------------
// Blast radius: four columns of boxes joined by lines, laid out here so the SVG needs no script.

const MAX_DRAWN_PER_COLUMN = 24;
const BOX = { width: 150, height: 24, gap: 8, columnGap: 46 };

interface DrawnNode {
  id: string;
  label: string;
  tone: 'broker' | 'shard' | 'group' | 'recovered' | 'topic';
}

const TONES: Record<DrawnNode['tone'], [fill: string, stroke: string]> = {
  broker: ['#fbdada', '#b33'],
  shard: ['#fde2c4', '#c76b00'],
  group: ['#eef1f4', '#8a949e'],
  recovered: ['#dcebfb', '#2f6fb3'],
  topic: ['#e9f5ec', '#3f8a55'],
};

function truncateLabel(label: string): string {
  return label.length > 21 ? `${label.slice(0, 20)}…` : label;
}

export function renderBlastRadiusSvg(incident: ApprovalIncident, recoveredGroups: ReadonlySet<string>): string {
  const columns: DrawnNode[][] = [[], [], [], []];
  const edges: [string, string][] = [];
  const seen = new Set<string>();
  const add = (column: number, node: DrawnNode): void => {
    if (seen.has(node.id)) return;
    seen.add(node.id);
    columns[column]!.push(node);
  };
  for (const shard of incident.shards) {
    add(0, { id: `b${shard.brokerId}`, label: `broker ${shard.brokerId}`, tone: 'broker' });
    add(1, { id: `s${shard.partition}`, label: `__consumer_offsets-${shard.partition}`, tone: 'shard' });
    edges.push([`b${shard.brokerId}`, `s${shard.partition}`]);
    for (const group of shard.groups) {
      add(2, { id: `g:${group}`, label: group, tone: recoveredGroups.has(group) ? 'recovered' : 'group' });
      edges.push([`s${shard.partition}`, `g:${group}`]);
    }
    // The shard's topics belong to its groups as a whole; per-group topics are in the tables.
    for (const topic of shard.topics) {
      add(3, { id: `t:${topic}`, label: topic, tone: 'topic' });
      for (const group of shard.groups) edges.push([`g:${group}`, `t:${topic}`]);
    }
  }
  const hidden = columns.map((column) => Math.max(0, column.length - MAX_DRAWN_PER_COLUMN));
  const drawn = columns.map((column) => column.slice(0, MAX_DRAWN_PER_COLUMN));
  const rows = Math.max(1, ...drawn.map((column, i) => column.length + (hidden[i]! > 0 ? 1 : 0)));
  const width = 4 * BOX.width + 3 * BOX.columnGap;
  const height = 22 + rows * (BOX.height + BOX.gap);
  const position = new Map<string, { x: number; y: number }>();
  drawn.forEach((column, c) =>
    column.forEach((node, r) => position.set(node.id, { x: c * (BOX.width + BOX.columnGap), y: 22 + r * (BOX.height + BOX.gap) })),
  );
  const lines = [...new Set(edges.map((e) => e.join('>')))]
    .map((key) => key.split('>') as [string, string])
    .filter(([from, to]) => position.has(from) && position.has(to))
    .map(([from, to]) => {
      const a = position.get(from)!;
      const b = position.get(to)!;
      const x1 = a.x + BOX.width;
      const y1 = a.y + BOX.height / 2;
      const x2 = b.x;
      const y2 = b.y + BOX.height / 2;
      const mid = (x1 + x2) / 2;
      return `<path d="M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}" fill="none" stroke="#9aa4ae" stroke-width="1.2"/>`;
    });
  const headings = ['Broker', 'Failed shard', 'Groups', 'Topics'].map(
    (h, c) => `<text x="${c * (BOX.width + BOX.columnGap)}" y="14" font-weight="600" fill="#57606a">${h}</text>`,
  );
  const boxes = drawn.flatMap((column, c) => {
    const drawnBoxes = column.map((node) => {
      const { x, y } = position.get(node.id)!;
      const [fill, stroke] = TONES[node.tone];
      return `<g><title>${escapeHtml(node.label)}</title><rect x="${x}" y="${y}" width="${BOX.width}" height="${BOX.height}" rx="5" fill="${fill}" stroke="${stroke}"/><text x="${x + 8}" y="${y + 16}" fill="#1b1f24">${escapeHtml(truncateLabel(node.label))}</text></g>`;
    });
    if (hidden[c]! > 0) {
      const y = 22 + column.length * (BOX.height + BOX.gap) + 16;
      drawnBoxes.push(`<text x="${c * (BOX.width + BOX.columnGap) + 8}" y="${y}" fill="#57606a">+ ${hidden[c]} more</text>`);
    }
    return drawnBoxes;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Blast radius: brokers, failed shards, groups, topics" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
${lines.join('\n')}
${headings.join('')}
${boxes.join('\n')}
</svg>`;
}

// ---------------------------------------------------------------------------------------------

function groupSection(group: GroupPlan, planLocation: string): string {
  const naming = group.targetNameSource === 'suggested' ? ' <span class="muted">(suggested name)</span>' : '';
  const inPlace = group.restore === 'IN_PLACE';
  const parts = [
    inPlace
      ? `<h3><code>${escapeHtml(group.sourceGroup)}</code> <span class="muted">restored in place (the same group)</span></h3>`
      : `<h3><code>${escapeHtml(group.sourceGroup)}</code> &rarr; <code>${escapeHtml(group.targetGroup)}</code>${naming} <span class="muted">(a new group)</span></h3>`,
    `<p class="muted">${inPlace ? 'Its coordinator' : 'New coordinator'}: broker ${group.target.brokerId} (<code>${escapeHtml(group.target.brokerHost)}</code>), <code>__consumer_offsets-${group.target.partition}</code>; target state ${escapeHtml(group.targetState.state ?? 'unknown')}, ${group.targetState.members} member(s). ${group.offsets.length} partition(s), total lag ${escapeHtml(group.totalLag ?? 'unknown')}.</p>`,
  ];
  if (group.blocked) parts.push(`<div class="card bad"><b>Blocked, will not be seeded:</b> ${escapeHtml(group.blockedReason ?? 'no reason given')}</div>`);
  for (const warning of group.warnings) parts.push(`<div class="card warn"><b>Warning:</b> ${escapeHtml(warning)}</div>`);
  if (group.offsets.length === 0) parts.push('<p>No offsets recovered.</p>');
  else {
    const rows = group.offsets
      .slice(0, MAX_ROWS_PER_GROUP)
      .map((o) => [escapeHtml(o.topic), String(o.partition), escapeHtml(o.offset), escapeHtml(o.logStartOffset ?? '?'), escapeHtml(o.logEndOffset ?? '?'), escapeHtml(o.lag ?? '?'), statusTag(o.status)]);
    parts.push(table(['topic', 'partition', 'offset to seed', 'log start', 'log end', 'lag', 'status'], rows, new Set([1, 2, 3, 4, 5])));
    if (group.offsets.length > MAX_ROWS_PER_GROUP) {
      parts.push(`<p class="muted">${group.offsets.length - MAX_ROWS_PER_GROUP} more partition(s) in the full plan, <code>${escapeHtml(planLocation)}</code>.</p>`);
    }
  }
  if (group.existingTargetOffsets.length > 0) {
    parts.push(`<p><b>The target already has offsets</b> (${group.existingTargetOffsets.length} partition(s)):</p>`);
    const rows = group.existingTargetOffsets
      .slice(0, MAX_ROWS_PER_GROUP)
      .map((d) => [escapeHtml(d.topic), String(d.partition), escapeHtml(d.existing ?? 'none'), escapeHtml(d.planned), statusTag(d.change === 'SAME' ? 'OK' : d.change)]);
    parts.push(table(['topic', 'partition', 'target has', 'plan seeds', 'change'], rows, new Set([1, 2, 3])));
  }
  return `<section class="card">${parts.join('\n')}</section>`;
}

export interface ApprovalPageInput {
  plan: RecoveryPlan;
  planSha256: string;
  planLocation: string;
  executionArn: string;
  expiresAt: Date;
  now: Date;
  incident: ApprovalIncident | null;
  /** The signed link's query string the form posts back to. */
  formAction: string;
  /** What the link may decide (approvalMode, approvalsRequired); none: the page shows the plan only. Default both. */
  decisions?: readonly ('approve' | 'reject')[];
  /** `coordinator-recovery approve|reject` for the IAM path, when the stack offers it. */
  cliCommands?: { approve: string; reject: string } | null;
}

/** GET page: shows the plan and a form; only the POST it submits acts. */
export function renderApprovalPage(input: ApprovalPageInput): string {
  const { plan } = input;
  const overview = planOverview(plan);
  const lag = overview.lagUnknown > 0 ? `${formatLag(overview.totalLag)}+` : formatLag(overview.totalLag);
  const left = timeLeft(input.expiresAt.getTime(), input.now.getTime());
  const recovered = new Set(plan.groups.map((g) => g.sourceGroup));
  const allWarnings = [...plan.warnings.map(escapeHtml)];
  const summary = `<section class="card banner">
<h1>Offset recovery awaiting your decision</h1>
<p><b>Nothing has been written to Kafka yet.</b> Approving commits the offsets below to ${overview.seededGroups} new group(s); rejecting ends the run with nothing written.</p>
<div class="stats">
${stat(String(overview.seededGroups), overview.blockedGroups > 0 ? `groups to seed (${overview.blockedGroups} blocked)` : 'groups to seed')}
${stat(String(overview.partitions), 'partitions')}
${stat(lag, overview.lagUnknown > 0 ? `total lag (${overview.lagUnknown} unknown)` : 'total lag (messages)')}
${stat(String(overview.warnings), 'warnings')}
${stat(left, 'left to decide')}
</div>
<p class="muted">Decide by ${escapeHtml(input.expiresAt.toISOString())}; ${(input.decisions ?? ['approve']).length > 0 ? 'this link works once' : 'this link shows the plan only, deciding needs the command below'}. Execution <code>${escapeHtml(input.executionArn)}</code>.</p>
</section>`;
  const warnings = allWarnings.length > 0 ? `<section class="card warn"><h2>Warnings</h2><ul>${allWarnings.map((w) => `<li>${w}</li>`).join('')}</ul></section>` : '';
  const blast =
    input.incident && input.incident.shards.length > 0
      ? `<section class="card"><h2>Blast radius</h2><p class="muted">Verdict ${escapeHtml(input.incident.verdict ?? 'unknown')}. Blue groups are in this plan; grey ones were affected but are not recovered by it. On a narrow screen the drawing scrolls sideways.</p><div class="scroll">${renderBlastRadiusSvg(input.incident, recovered)}</div></section>`
      : '';
  const evidence =
    input.incident && input.incident.evidence.length > 0
      ? `<section class="card"><h2>Evidence</h2><ul class="evidence">${input.incident.evidence.map((e) => `<li><span class="tag t-warn">${e.kind}</span> ${escapeHtml(e.message)}</li>`).join('')}</ul></section>`
      : '';
  const details = `<section class="card"><h2>Plan</h2><p class="muted">Plan <code>${escapeHtml(plan.planId)}</code>, sha256 <code>${escapeHtml(input.planSha256)}</code>. Cluster <code>${escapeHtml(plan.clusterArn)}</code>. Window ${escapeHtml(new Date(plan.window.since).toISOString())} to ${escapeHtml(new Date(plan.window.until).toISOString())}. ${plan.restoreInPlace ? 'Restored in place: each group takes its offsets back.' : 'Restored into new groups.'} Existing target offsets ${plan.overwriteExistingTargetOffsets ? 'are overwritten' : 'block a group'}. Full plan: <code>${escapeHtml(input.planLocation)}</code>.</p></section>`;
  const decisions = input.decisions ?? ['approve', 'reject'];
  const buttons = [
    decisions.includes('approve') ? '<button class="approve" type="submit" name="decision" value="approve">Approve and seed</button>' : '',
    decisions.includes('reject') ? '<button class="reject" type="submit" name="decision" value="reject">Reject</button>' : '',
  ].join('');
  const linkForm =
    decisions.length > 0
      ? `<form method="post" action="${escapeHtml(input.formAction)}">
<label for="approver">Your name (goes into the audit trail)</label><input type="text" id="approver" name="approver" required maxlength="200" autocomplete="name">
<label for="comment">Comment (optional)</label><input type="text" id="comment" name="comment" maxlength="1000">
<div class="buttons">${buttons}</div>
</form>`
      : '';
  const cli = input.cliCommands
    ? `<p>${decisions.includes('approve') ? 'Or decide' : 'Decide'} from a terminal with your own AWS credentials; the caller's IAM identity goes into the audit trail${decisions.includes('approve') ? '' : ' (this page cannot approve)'}:</p>
<pre class="cli" id="cli-approve">${escapeHtml(input.cliCommands.approve)}</pre>
<pre class="cli" id="cli-reject">${escapeHtml(input.cliCommands.reject)}</pre>`
    : '';
  const form = `<section class="card"><h2>Decide</h2>
${linkForm}${cli}</section>`;
  return document('Approve offset recovery', [summary, warnings, blast, `<h2>Groups</h2>`, ...plan.groups.map((g) => groupSection(g, input.planLocation)), evidence, details, form].filter((s) => s !== '').join('\n'));
}

/** The execution in the Step Functions console, or null when the ARN is not an execution ARN. */
export function consoleExecutionUrl(executionArn: string): string | null {
  const parts = executionArn.split(':');
  if (parts.length < 8 || parts[2] !== 'states' || parts[5] !== 'execution') return null;
  const region = parts[3]!;
  return `https://${region}.console.aws.amazon.com/states/home?region=${encodeURIComponent(region)}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

export interface ResultPageInput {
  title: string;
  message: string;
  status: 'ok' | 'error';
  /** What happens next, one line each. */
  next?: string[];
  executionArn?: string;
}

export function renderResultPage(input: ResultPageInput): string {
  const tone = input.status === 'ok' ? 'good' : 'bad';
  const consoleUrl = input.executionArn ? consoleExecutionUrl(input.executionArn) : null;
  const next = input.next && input.next.length > 0 ? `<h2>What happens next</h2><ol>${input.next.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ol>` : '';
  const link = consoleUrl ? `<p><a href="${escapeHtml(consoleUrl)}">Follow the execution in the Step Functions console</a></p>` : '';
  return document(input.title, `<section class="card ${tone}"><h1>${input.status === 'ok' ? '' : 'Not done: '}${escapeHtml(input.title)}</h1><p>${escapeHtml(input.message)}</p></section>
${next ? `<section class="card">${next}${link}</section>` : link ? `<section class="card">${link}</section>` : ''}`);
}
