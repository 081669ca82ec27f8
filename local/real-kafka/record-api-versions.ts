/**
 * Writes what real brokers answered to ApiVersions into the local cluster's fixture
 * (`local/kafka/profiles/recorded-api-versions.ts`), which its release profiles advertise.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiName } from '../kafka/protocol/api-keys.ts';
import type { ApiVersionRange } from './api-versions.ts';

export function recordedApiVersionsSource(recorded: Record<string, ApiVersionRange[]>): string {
  const releases = Object.keys(recorded).sort();
  const lines = [
    '// Recorded from real Apache Kafka brokers (KRaft, default settings) by',
    '// `npm run real-kafka -- record-api-versions`; rewrite it that way, do not edit it by hand.',
    '// release -> [apiKey, minVersion, maxVersion] for every API the broker advertised.',
    'export const RECORDED_API_VERSIONS: Readonly<Record<string, readonly (readonly [number, number, number])[]>> = {',
  ];
  for (const release of releases) {
    lines.push(`  '${release}': [`);
    for (const api of recorded[release]!) lines.push(`    [${api.apiKey}, ${api.minVersion}, ${api.maxVersion}], // ${apiName(api.apiKey)}`);
    lines.push('  ],');
  }
  lines.push('};', '');
  return lines.join('\n');
}

export function writeRecordedApiVersions(recorded: Record<string, ApiVersionRange[]>): string {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'kafka', 'profiles', 'recorded-api-versions.ts');
  writeFileSync(file, recordedApiVersionsSource(recorded));
  return file;
}
