import type { CoordinatorEnv, CoordinatorPlugin, FailCoordinatorOptions } from '../plugin.ts';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import { GroupCoordinator, type GroupCoordinatorOptions } from './group-coordinator.ts';
import { describeGroupsApi, deleteGroupsApi, listGroupsApi } from './handlers/group-admin.ts';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from './handlers/group-membership.ts';
import { consumerGroupDescribeApi, consumerGroupHeartbeatApi } from './handlers/consumer-group.ts';
import { offsetCommitApi, offsetDeleteApi, offsetFetchApi, txnOffsetCommitApi } from './handlers/offsets.ts';
import type { CoordinatorApi, CoordinatorServices } from './handlers/services.ts';
import { addOffsetsToTxnApi, addPartitionsToTxnApi, endTxnApi, initProducerIdApi } from './handlers/transactions.ts';
import type { FailureMode } from './log-lines.ts';
import { TransactionCoordinator } from './transaction-coordinator.ts';

export { GroupCoordinator } from './group-coordinator.ts';
export { TransactionCoordinator } from './transaction-coordinator.ts';
export type { FailureMode } from './log-lines.ts';

export const COORDINATOR_APIS: readonly CoordinatorApi[] = [
  joinGroupApi,
  syncGroupApi,
  heartbeatApi,
  leaveGroupApi,
  offsetCommitApi,
  offsetFetchApi,
  offsetDeleteApi,
  listGroupsApi,
  describeGroupsApi,
  deleteGroupsApi,
  initProducerIdApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  txnOffsetCommitApi,
  endTxnApi,
  consumerGroupHeartbeatApi,
  consumerGroupDescribeApi,
];

export type CoordinatorTuning = Omit<GroupCoordinatorOptions, 'cluster' | 'logs' | 'offsetsPartitions' | 'offsetCommitValueVersion' | 'offsetsTopicCompression'>;

export interface CoordinatorFailOptions extends FailCoordinatorOptions {
  /** 'epoch-conflict' (default on 4.x profiles): Kafka 4.x loader lines; 'legacy' (default on 3.9): the GroupMetadataManager line */
  mode?: FailureMode;
  /** the group whose committed partition the log lines quote (default: the newest commit in the partition) */
  group?: string;
}

function failureMode(options: CoordinatorFailOptions | undefined, classic: boolean): FailureMode {
  const mode = options?.mode ?? (options?.legacyLogLine === true || classic ? 'legacy' : 'epoch-conflict');
  if (mode !== 'epoch-conflict' && mode !== 'legacy') {
    throw invalidInput('mode', `unknown failure mode ${JSON.stringify(mode)}`, "Use 'epoch-conflict' or 'legacy'.");
  }
  return mode;
}

/**
 * The plug-in entry point the cluster calls (local/kafka/plugin.ts): registers the group and
 * transaction APIs, follows `__consumer_offsets` leadership and hands back the shard faults.
 */
export function installCoordinator(env: CoordinatorEnv, tuning: CoordinatorTuning = {}): CoordinatorPlugin & {
  groups: GroupCoordinator;
  transactions: TransactionCoordinator;
} {
  const groups = new GroupCoordinator({
    ...(env.offsetsRetentionMs === undefined ? {} : { offsetsRetentionMs: env.offsetsRetentionMs }),
    ...(env.offsetsRetentionCheckIntervalMs === undefined ? {} : { retentionCheckIntervalMs: env.offsetsRetentionCheckIntervalMs }),
    ...tuning,
    cluster: env.cluster,
    logs: env.logs,
    offsetsPartitions: env.offsetsPartitions,
    offsetCommitValueVersion: env.offsetCommitValueVersion,
    loadFailure: env.loadFailure ?? 'shard-failed',
    recordGroupCreation: env.loadFailure !== 'offsets-lost',
    logWording: env.loadFailure === 'offsets-lost' ? 'classic' : 'runtime',
    listGroupsWhileLoading: env.loadFailure === 'offsets-lost' ? 'groups-and-error' : 'error-only',
    ...(env.consumerGroups === undefined ? {} : { consumerGroups: env.consumerGroups }),
    ...(env.offsetsTopicCompression ? { offsetsTopicCompression: env.offsetsTopicCompression } : {}),
  });
  const transactions = new TransactionCoordinator(env.cluster, groups, env.logs, env.transactionPartitions);
  const services: CoordinatorServices = { groups, transactions };
  env.registry.registerAll(COORDINATOR_APIS, services);
  groups.start();
  return {
    groups,
    transactions,
    faults: {
      failCoordinator: (partition, options) => {
        const failOptions = options as CoordinatorFailOptions | undefined;
        groups.failCoordinator(partition, failureMode(failOptions, groups.loadFailure === 'offsets-lost'), typeof failOptions?.group === 'string' ? failOptions.group : undefined);
      },
      healCoordinator: (partition) => groups.healCoordinator(partition),
      loadCoordinator: (partition, durationMs) => groups.loadCoordinator(partition, durationMs),
    },
    status: () => ({ shards: groups.status(), transactions: transactions.status() }),
    stop: () => {
      transactions.stop();
      groups.stop();
    },
  };
}
