/**
 * The subset of CloudWatch Logs filter patterns for unstructured log events that the stand-in
 * understands (what the runbook and an operator's console search use):
 *
 * - empty pattern: every event;
 * - terms separated by spaces, all of which must occur (AND): `ERROR GroupCoordinator`;
 * - `"a quoted phrase"` occurs verbatim (`\"` and `\\` escape inside quotes);
 * - `?term ?"phrase"`: any one of them occurs (OR); every term must carry `?` then;
 * - `-term` / `-"phrase"`: must not occur (only with AND terms).
 *
 * Matching is case-sensitive and by substring, as CloudWatch does for unstructured text. Unquoted
 * terms may hold letters, digits and `_` only, like CloudWatch; other characters need quotes.
 * JSON patterns (`{ $.x = ... }`), space-delimited patterns (`[a, b]`) and regular expressions
 * (`%...%`) are valid in CloudWatch but not understood here: they are refused with
 * InvalidParameterException naming the stand-in, never silently matched.
 */
export type FilterPattern =
  | { kind: 'all' }
  | { kind: 'and'; include: string[]; exclude: string[] }
  | { kind: 'or'; anyOf: string[] };

export class FilterPatternError extends Error {}

interface Token {
  text: string;
  quoted: boolean;
  prefix: '' | '?' | '-';
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === ' ' || c === '\t') {
      i += 1;
      continue;
    }
    let prefix: Token['prefix'] = '';
    if (c === '?' || c === '-') {
      prefix = c;
      i += 1;
    }
    if (pattern[i] === '"') {
      let text = '';
      i += 1;
      for (;;) {
        if (i >= pattern.length) throw new FilterPatternError(`Invalid filter pattern: unterminated quoted phrase in ${JSON.stringify(pattern)}`);
        const d = pattern[i]!;
        if (d === '\\' && i + 1 < pattern.length) {
          text += pattern[i + 1];
          i += 2;
        } else if (d === '"') {
          i += 1;
          break;
        } else {
          text += d;
          i += 1;
        }
      }
      if (i < pattern.length && pattern[i] !== ' ' && pattern[i] !== '\t') {
        throw new FilterPatternError(`Invalid filter pattern: a quoted phrase must be followed by a space, at position ${i}`);
      }
      tokens.push({ text, quoted: true, prefix });
      continue;
    }
    const start = i;
    while (i < pattern.length && pattern[i] !== ' ' && pattern[i] !== '\t') i += 1;
    const text = pattern.slice(start, i);
    if (text === '') throw new FilterPatternError(`Invalid filter pattern: "${prefix}" must be followed by a term`);
    if (!/^[A-Za-z0-9_]+$/.test(text)) {
      throw new FilterPatternError(`Invalid filter pattern: the term ${JSON.stringify(text)} holds characters other than letters, digits and _; put it in double quotes`);
    }
    tokens.push({ text, quoted: false, prefix });
  }
  return tokens;
}

/** Parses a pattern, throwing FilterPatternError for syntax CloudWatch rejects or the stand-in does not support. */
export function parseFilterPattern(pattern: string | undefined): FilterPattern {
  const trimmed = (pattern ?? '').trim();
  if (trimmed === '') return { kind: 'all' };
  const first = trimmed[0]!;
  if (first === '{' || first === '[' || first === '%') {
    const kind = first === '{' ? 'JSON' : first === '[' ? 'space-delimited' : 'regular expression';
    throw new FilterPatternError(`Unsupported filter pattern: the local CloudWatch Logs stand-in understands terms, quoted phrases, ?OR and -exclusions, not ${kind} patterns`);
  }
  const tokens = tokenize(trimmed);
  const optional = tokens.filter((t) => t.prefix === '?');
  if (optional.length > 0) {
    if (optional.length !== tokens.length) throw new FilterPatternError('Invalid filter pattern: when one term is prefixed with ?, every term must be');
    return { kind: 'or', anyOf: optional.map((t) => t.text) };
  }
  return {
    kind: 'and',
    include: tokens.filter((t) => t.prefix === '').map((t) => t.text),
    exclude: tokens.filter((t) => t.prefix === '-').map((t) => t.text),
  };
}

export function matchesFilter(filter: FilterPattern, message: string): boolean {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'or':
      return filter.anyOf.some((term) => message.includes(term));
    case 'and':
      return filter.include.every((term) => message.includes(term)) && !filter.exclude.some((term) => message.includes(term));
  }
}
