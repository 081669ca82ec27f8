/** The HTML pages the approval endpoint serves: the plan with its form on GET, the outcome after the POST. */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** GET page: shows the plan and a form; only the POST it submits acts. */
export function renderApprovalPage(input: { planText: string; formAction: string; executionArn: string; expiresAt: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>Approve offset recovery</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}pre{background:#f4f4f4;padding:1em;overflow:auto}button{margin-right:1em;padding:.5em 1.5em}</style>
</head><body>
<h1>Offset recovery awaiting approval</h1>
<p>Execution <code>${escapeHtml(input.executionArn)}</code>. This link is valid until ${escapeHtml(input.expiresAt)} and works once.</p>
<pre>${escapeHtml(input.planText)}</pre>
<form method="post" action="${escapeHtml(input.formAction)}">
<p><label>Your name (recorded in the audit trail): <input name="approver" required maxlength="200"></label></p>
<p><label>Comment: <input name="comment" maxlength="1000" size="60"></label></p>
<button type="submit" name="decision" value="approve">Approve and seed</button>
<button type="submit" name="decision" value="reject">Reject</button>
</form>
</body></html>
`;
}

export function renderResultPage(title: string, message: string, status: 'ok' | 'error'): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:sans-serif;margin:2em"><h1>${status === 'ok' ? '' : 'Not done: '}${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
}
