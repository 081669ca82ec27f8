/**
 * The jars of an Apache Kafka release, fetched once through Maven from Central into a cache
 * folder inside the checkout (gitignored). The broker's own artifact (`kafka_2.13`) carries no
 * logging backend, so the one its release tarball ships is added: without it the broker would
 * log nothing and the incident's log lines could not be captured.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { invalidInput } from '../../lambdas/core/errors.ts';

const run = promisify(execFile);

/** `<checkout>/.cache/real-kafka`, or REAL_KAFKA_CACHE. */
export function realKafkaCacheDir(): string {
  const fromEnv = process.env.REAL_KAFKA_CACHE;
  if (fromEnv) return resolve(fromEnv);
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'real-kafka');
}

const VERSION_PATTERN = /^(\d+)\.(\d+)\.(\d+)$/;

export interface ReleaseVersion {
  text: string;
  major: number;
  minor: number;
  patch: number;
}

export function parseReleaseVersion(text: string, field = 'version'): ReleaseVersion {
  const match = VERSION_PATTERN.exec(text);
  if (!match) throw invalidInput(field, `expected a release such as 4.1.1, got "${text}"`, `Pass a full Apache Kafka release number (major.minor.patch) for ${field}.`);
  return { text, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** 4.x logs through log4j2; 3.x through reload4j (log4j 1.2). */
export function loggingBackend(version: ReleaseVersion): 'log4j2' | 'reload4j' {
  return version.major >= 4 ? 'log4j2' : 'reload4j';
}

function releaseDir(version: string): string {
  return join(realKafkaCacheDir(), version);
}

function libDir(version: string): string {
  return join(releaseDir(version), 'lib');
}

const COMPLETE_MARKER = 'complete';
const FALLBACK_LOG4J2 = '2.24.3';

/** The classpath of a release when its jars are all in the cache, else null. */
export function cachedClasspath(version: string): string | null {
  if (!existsSync(join(releaseDir(version), COMPLETE_MARKER))) return null;
  const jars = readdirSync(libDir(version)).filter((name) => name.endsWith('.jar'));
  return jars.map((jar) => join(libDir(version), jar)).join(':');
}

function brokerPom(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>coordinator-recovery.real-kafka</groupId>
  <artifactId>broker-${version}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

async function mvn(cwd: string, args: string[]): Promise<void> {
  try {
    await run('mvn', ['-q', '-B', ...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`mvn ${args.join(' ')} failed in ${cwd}: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim(), { cause: error });
  }
}

/** The logging jars the release tarball adds to the broker's classpath, matched to its API versions. */
function loggingArtifacts(version: ReleaseVersion, jars: string[]): string[] {
  if (loggingBackend(version) === 'log4j2') {
    const core = jars.map((j) => /^log4j-core-(.+)\.jar$/.exec(j)?.[1]).find((v) => v !== undefined);
    if (core) return [`org.apache.logging.log4j:log4j-slf4j-impl:${core}`];
    // Some 4.0.x poms leave log4j2 out entirely; their tarballs ship the 2.24 line.
    return ['api', 'core', 'slf4j-impl'].map((part) => `org.apache.logging.log4j:log4j-${part}:${FALLBACK_LOG4J2}`);
  }
  const slf4j = jars.map((j) => /^slf4j-api-(.+)\.jar$/.exec(j)?.[1]).find((v) => v !== undefined) ?? '1.7.36';
  return [`org.slf4j:slf4j-reload4j:${slf4j}`, 'ch.qos.reload4j:reload4j:1.2.25'];
}

/**
 * Fetches the release's runtime jars (once) and returns its classpath. Needs `mvn` and network
 * access to Maven Central (or the mirror the user's Maven settings name).
 */
export async function fetchReleaseJars(versionText: string): Promise<string> {
  const version = parseReleaseVersion(versionText);
  const cached = cachedClasspath(version.text);
  if (cached !== null) return cached;
  const dir = releaseDir(version.text);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pom.xml'), brokerPom(version.text));
  await mvn(dir, ['dependency:copy-dependencies', `-DoutputDirectory=${libDir(version.text)}`, '-DincludeScope=runtime']);
  const jars = readdirSync(libDir(version.text));
  for (const artifact of loggingArtifacts(version, jars)) {
    await mvn(dir, ['dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${libDir(version.text)}`]);
  }
  writeFileSync(join(dir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  return cachedClasspath(version.text)!;
}
