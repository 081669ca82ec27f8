/**
 * `npm run real-kafka -- fetch 4.1.1 [3.9.2 ...]`: fills the jar cache (CI warms it this way).
 * `npm run real-kafka -- record-api-versions [VERSION ...]`: rewrites the local cluster's ApiVersions fixture.
 * `npm run real-kafka -- up --version 4.1.1 [--brokers 3]`: runs real brokers until Ctrl-C.
 */
import process from 'node:process';
import { parseArgs } from 'node:util';
import { fetchReleaseJars, realKafkaCacheDir } from './release-jars.ts';
import { startRealKafka } from './real-kafka.ts';
import { REAL_KAFKA_RELEASES } from './releases.ts';
import { fetchApiVersions } from './api-versions.ts';
import { writeRecordedApiVersions } from './record-api-versions.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'fetch') {
    const versions = rest.length > 0 ? rest : Object.values(REAL_KAFKA_RELEASES);
    for (const version of versions) {
      const started = Date.now();
      await fetchReleaseJars(version);
      process.stdout.write(`real-kafka: ${version} ready in ${realKafkaCacheDir()} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    }
    return 0;
  }
  if (command === 'record-api-versions') {
    const versions = rest.length > 0 ? rest : Object.values(REAL_KAFKA_RELEASES);
    const recorded: Record<string, Awaited<ReturnType<typeof fetchApiVersions>>> = {};
    for (const version of versions) {
      const kafka = await startRealKafka({ version, brokers: 1, fetchJars: true });
      try {
        recorded[version] = await fetchApiVersions(kafka.brokers[0]!.host, kafka.brokers[0]!.port);
      } finally {
        await kafka.stop();
      }
      process.stdout.write(`real-kafka: ${version} serves ${recorded[version]!.length} APIs\n`);
    }
    process.stdout.write(`real-kafka: wrote ${writeRecordedApiVersions(recorded)}\n`);
    return 0;
  }
  if (command === 'up') {
    const { values } = parseArgs({ args: rest, options: { version: { type: 'string', default: REAL_KAFKA_RELEASES.newest }, brokers: { type: 'string', default: '1' } } });
    const kafka = await startRealKafka({ version: values.version, brokers: Number(values.brokers), fetchJars: true });
    process.stdout.write(`bootstrap: ${kafka.bootstrapServers.join(',')}\n`);
    for (const broker of kafka.brokers) process.stdout.write(`broker ${broker.id} log: ${broker.logFile}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await kafka.stop();
    return 0;
  }
  process.stderr.write('usage: real-kafka fetch [VERSION ...] | up [--version V] [--brokers N]\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`real-kafka: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
