/** Group behaviours of the local cluster's 4.0 profile against the real release (conformance-groups-suite.ts). */
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { groupConformanceSuite } from './conformance-groups-suite.ts';

groupConformanceSuite('4.0', REAL_KAFKA_RELEASES.runtime40);
