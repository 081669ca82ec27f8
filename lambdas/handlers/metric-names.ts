/**
 * The custom metrics the Lambdas publish (embedded metric format), the contract with lib/: the
 * dashboard and the alarms read exactly these names and dimensions, and CloudWatch treats any
 * other dimension set as another metric. Change additively only.
 */
export const DEFAULT_METRICS_NAMESPACE = 'CoordinatorRecovery';

/** Every metric carries exactly this dimension (the name in the cluster ARN); `Runs` adds `Outcome`. */
export const CLUSTER_DIMENSION = 'ClusterName';
export const OUTCOME_DIMENSION = 'Outcome';

export const METRIC = {
  /** shard-canary, each run: shards answering NOT_COORDINATOR twice (the detection alarm's metric). */
  failedShards: 'FailedShards',
  /** shard-canary: shards not reached or answering oddly. */
  unresolvedShards: 'UnresolvedShards',
  /** shard-canary: shards probed. */
  probedShards: 'ProbedShards',
  /** blast-radius, each invocation: `__consumer_offsets` records read by this invocation. */
  recordsScanned: 'RecordsScanned',
  /** blast-radius, each invocation: records read per second of scanning. */
  scanRate: 'ScanRecordsPerSecond',
  /** report: groups seeded and verified in the run. */
  groupsRecovered: 'GroupsRecovered',
  /** report and notify-failure: 1 per run, dimension Outcome. */
  runs: 'Runs',
} as const;

/** The Outcome values of `Runs`: the report's outcomes, and how notify-failure ends a run. */
export const RUN_OUTCOMES = ['RECOVERED', 'PARTIALLY_RECOVERED', 'NOT_RECOVERED', 'NOTHING_TO_RECOVER', 'REJECTED', 'NOT_APPROVED', 'FAILED'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** "orders-prod" from arn:aws:kafka:<region>:<account>:cluster/orders-prod/<uuid>. */
export function clusterNameOf(clusterArn: string): string {
  return /:cluster\/([^/]+)\//.exec(clusterArn)?.[1] ?? clusterArn;
}
