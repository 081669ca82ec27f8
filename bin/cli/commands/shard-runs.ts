/**
 * How `groups` and `offsets` read shards: one pass per `__consumer_offsets` partition, optionally
 * continuing from and saving to a `--checkpoint` file, or split into `--segments K` scanned at once.
 */
import { RecoveryError, invalidInput, isRecoveryError } from '../../../lambdas/core/errors.ts';
import type { ScanCheckpoint, ScanWindow } from '../../../lambdas/core/model.ts';
import { planShardSegments, scanShard, scanShardInSegments, shardCheckpoint, shardFromCheckpoint } from '../../../lambdas/core/operations/index.ts';
import type { ShardScan, ShardScanRequest } from '../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import { CLI_CHECKPOINT_KIND, readCliCheckpoint, removeCliCheckpoint, writeCliCheckpoint } from '../checkpoint-file.ts';
import type { CliCheckpoint } from '../checkpoint-file.ts';
import type { CommandContext, FlagValues } from '../command.ts';
import { PROGRAM } from '../command.ts';
import { parseInteger } from '../values.ts';
import { parseByteSize, scanOptions, scanWindow } from './scan-flags.ts';
import type { RecoveryScanOptions } from '../../../lambdas/core/operations/index.ts';

export interface ShardRunRequest {
  command: string;
  group: string | undefined;
  /** Resolves the partitions to read (after the checkpoint file, if any, was checked). */
  partitions: () => Promise<number[]>;
}

/** Reads every partition of the request; see the file comment for the flags it honours. */
export async function readShards(context: CommandContext, flags: FlagValues, request: ShardRunRequest): Promise<{ partitions: number[]; shards: ShardScan[] }> {
  const path = typeof flags['checkpoint'] === 'string' ? flags['checkpoint'] : undefined;
  const segments = typeof flags['segments'] === 'string' ? parseInteger(flags['segments'], '--segments', { min: 1, max: 1024, example: 4 }) : 1;
  if (path !== undefined && segments > 1) {
    throw invalidInput('--segments', 'cannot be combined with --checkpoint', 'Use --segments K to read faster, or --checkpoint FILE to be able to stop and continue.');
  }
  const fetchBytes = typeof flags['fetch-bytes'] === 'string' ? parseByteSize(flags['fetch-bytes'], '--fetch-bytes') : undefined;
  const optionsFor = (): RecoveryScanOptions => ({ ...scanOptions(context), ...(fetchBytes === undefined ? {} : { maxBytesPerFetch: fetchBytes }) });
  const sinceText = typeof flags['since'] === 'string' ? flags['since'] : null;
  const saved = path === undefined ? null : readCliCheckpoint(path, { command: request.command, group: request.group ?? null });
  // A relative --since ("6h") resolved on the first run keeps meaning that instant.
  const window: ScanWindow = saved !== null && saved.sinceText === sinceText ? saved.window : scanWindow(flags, context.io.now());
  const port = await context.port();
  const partitions = await request.partitions();
  if (saved !== null && JSON.stringify(saved.partitions) !== JSON.stringify(partitions)) {
    throw invalidInput('--checkpoint', `${path} holds partitions ${saved.partitions.join(',')}, this run reads ${partitions.join(',') || 'none'}`, 'Run the same command line that wrote it, or pass another --checkpoint file to start over.');
  }
  const shards: ShardScan[] = [];
  if (segments > 1) {
    for (const partition of partitions) {
      const plan = await planShardSegments(port, partition, window, segments);
      shards.push(await interruptible(() => scanShardInSegments(port, plan, request.group, optionsFor())));
    }
    return { partitions, shards };
  }
  const file: CliCheckpoint = saved ?? {
    kind: CLI_CHECKPOINT_KIND,
    command: request.command,
    group: request.group ?? null,
    partitions,
    sinceText,
    window,
    scans: {},
  };
  for (const partition of partitions) {
    const shardRequest: ShardScanRequest = { partition, window, ...(request.group === undefined ? {} : { group: request.group }) };
    const held = file.scans[String(partition)];
    if (held?.done) {
      shards.push(shardFromCheckpoint(held, shardRequest));
      continue;
    }
    const shard = await scanOnce(context, port, shardRequest, optionsFor(), held, path, file);
    shards.push(shard);
    if (path !== undefined) {
      file.scans[String(partition)] = shardCheckpoint(shard);
      writeCliCheckpoint(path, file);
    }
  }
  if (path !== undefined && saved !== null) context.note(`checkpoint ${path} removed: the scan finished`);
  if (path !== undefined) removeCliCheckpoint(path);
  return { partitions, shards };
}

async function scanOnce(
  context: CommandContext,
  port: KafkaPort,
  request: ShardScanRequest,
  options: RecoveryScanOptions,
  checkpoint: ScanCheckpoint | undefined,
  path: string | undefined,
  file: CliCheckpoint,
): Promise<ShardScan> {
  if (path !== undefined) {
    // With a file, Ctrl-C stops the scan with a checkpoint instead of cancelling it.
    delete options.signal;
    if (context.io.signal) Object.assign(options, { stop: context.io.signal });
  }
  let outcome;
  try {
    outcome = await scanShard(port, request, { ...options, ...(checkpoint === undefined ? {} : { checkpoint }) });
  } catch (error) {
    const progress = isRecoveryError(error) ? (error.details['checkpoint'] as ScanCheckpoint | undefined) : undefined;
    if (progress === undefined || !isRecoveryError(error)) throw error;
    if (path === undefined) throw withoutProgressHint(error);
    file.scans[String(request.partition)] = progress;
    writeCliCheckpoint(path, file);
    throw new RecoveryError(error.code, `${reasonOf(error)}. Progress saved to ${path}: run the same command again to continue from offset ${progress.position.nextOffset}.`, {
      details: { ...error.details, checkpoint: undefined, checkpointFile: path },
      retryable: error.retryable,
      cause: error,
    });
  }
  if (outcome.status === 'done') return outcome.shard;
  file.scans[String(request.partition)] = outcome.checkpoint;
  writeCliCheckpoint(path!, file);
  const at = outcome.checkpoint.position;
  throw new RecoveryError(
    'SCAN_INTERRUPTED',
    `Stopped: ${CONSUMER_OFFSETS_TOPIC}-${request.partition} read up to offset ${at.nextOffset} of ${at.endOffset}; progress saved to ${path}. ` +
      `Run the same command again to continue (${PROGRAM} ${file.command} ... --checkpoint ${path}). Nothing was written to Kafka.`,
    { details: { position: at, checkpointFile: path }, retryable: true },
  );
}

/** Segment scans have no file to save to: an interrupted one says so and that a re-run starts over. */
async function interruptible(scan: () => Promise<ShardScan>): Promise<ShardScan> {
  try {
    return await scan();
  } catch (error) {
    throw isRecoveryError(error) && error.details['checkpoint'] !== undefined ? withoutProgressHint(error) : error;
  }
}

function reasonOf(error: RecoveryError): string {
  return typeof error.details['reason'] === 'string' ? `Scan stopped: ${error.details['reason']}` : error.message.replace(/\.$/, '');
}

function withoutProgressHint(error: RecoveryError): RecoveryError {
  const position = error.details['position'] as { partition: number; nextOffset: string; endOffset: string } | undefined;
  const where = position ? ` at ${CONSUMER_OFFSETS_TOPIC}-${position.partition} offset ${position.nextOffset} of ${position.endOffset}` : '';
  return new RecoveryError(
    error.code,
    `${reasonOf(error)}${where}. Nothing was written; run it again (it starts over; with --checkpoint FILE a stopped scan continues where it stopped).`,
    { details: { ...error.details, checkpoint: undefined }, retryable: error.retryable, cause: error },
  );
}
