/**
 * IAM resource-name patterns as MSK IAM matches group and topic names: `*` stands for any run
 * of characters, `?` for exactly one, everything else for itself.
 */
export function matchesNamePattern(name: string, pattern: string): boolean {
  const source = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(name);
}
