/** What the differential suites assert about a scenario transcript from each side. */
import { expect } from 'vitest';
import { RECORDED_API_VERSIONS } from '../../../../local/kafka/profiles/recorded-api-versions.ts';
import type { ScenarioTranscript } from './conformance-scenario.ts';

export function expectSameBehaviour(local: ScenarioTranscript, real: ScenarioTranscript, release: string): void {
  // The fixture the local profile advertises is still what this release answers.
  expect(real.apiVersions.map((a) => [a.apiKey, a.minVersion, a.maxVersion])).toEqual(RECORDED_API_VERSIONS[release]);
  // Every API the local cluster serves is one the release serves, within the release's versions.
  const realRanges = new Map(real.apiVersions.map((a) => [a.apiKey, a]));
  for (const api of local.apiVersions) {
    const range = realRanges.get(api.apiKey);
    expect({ apiKey: api.apiKey, inRelease: range !== undefined }).toEqual({ apiKey: api.apiKey, inRelease: true });
    expect(api.minVersion).toBeGreaterThanOrEqual(range!.minVersion);
    expect(api.maxVersion).toBeLessThanOrEqual(range!.maxVersion);
  }
  expect(local.records).toEqual(real.records);
  expect(local.answers).toEqual(real.answers);
}
