/**
 * What brokers print when a coordinator shard fails to load. The new group coordinator
 * (Kafka 3.7+/4.x) and the classic one (GroupMetadataManager) word it differently; the alarm's
 * metric filter counts both and Diagnose searches for both, so they are written down once.
 */
export const FAILED_TO_LOAD_PHRASE = 'Failed to load metadata from __consumer_offsets-';
export const ERROR_LOADING_PHRASE = 'Error loading offsets from __consumer_offsets-';

export const COORDINATOR_FAILURE_PHRASES: readonly string[] = [FAILED_TO_LOAD_PHRASE, ERROR_LOADING_PHRASE];
