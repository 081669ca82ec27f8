/**
 * A benchmark case: a name for `npm run bench -- <name>`, a one-line description, and a run
 * that prints its own figures and returns whether its floors were met (floors are reported,
 * never asserted in tests).
 */
export interface BenchCase {
  name: string;
  description: string;
  run(): Promise<BenchOutcome>;
}

export interface FloorCheck {
  label: string;
  value: number;
  floor: number;
  unit: string;
  /** The floor is a ceiling (a time to stay under) rather than a rate to reach. */
  atMost?: boolean;
}

export interface BenchOutcome {
  floors: FloorCheck[];
}

export function floorMet(check: FloorCheck): boolean {
  return check.atMost === true ? check.value <= check.floor : check.value >= check.floor;
}
