/** Kafka schema version ranges: "0+", "3", "1-4", "none". */
export interface VersionRange {
  readonly min: number;
  readonly max: number; // Infinity for "N+"
}

export function parseVersionRange(text: string | undefined): VersionRange | null {
  if (text === undefined || text === 'none' || text === '') return null;
  const plus = /^(\d+)\+$/.exec(text);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const span = /^(\d+)-(\d+)$/.exec(text);
  if (span) return { min: Number(span[1]), max: Number(span[2]) };
  if (/^\d+$/.test(text)) return { min: Number(text), max: Number(text) };
  throw new Error(`unrecognised version range "${text}"`);
}

export function inRange(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}
