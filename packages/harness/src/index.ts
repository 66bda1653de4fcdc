export {
  runCell,
  runConfigure,
  runRemoteCell,
  runRemoteConfigure,
  configureLimits,
  HANG_GRACE_MS,
  type CellInput,
  type RemoteCellInput,
  type RemoteConfigureInput,
  type RemoteDetector,
  type ConfigureInput,
  type CellOutcome,
  type ConfigureOutcome,
  type HarnessOrganism,
  type Problem,
  type FailureReason,
} from './run-cell.js';
export { cellSeed, detectSeed, configureSeed, referenceSeed } from './seeds.js';
export { referenceTruth } from './truth.js';
export { stateIssues } from './state.js';
export { snapshotGlobals, globalsChanged, type GlobalsSnapshot } from './globals.js';
export { asSubject, asCard, makeSubject, fingerprint, liveTensors, type Fingerprint } from './subject.js';
export { DetectorProcess, SubjectServer, heapFlags, type DetectorProcessOptions, type DetectorJob, type DetectorReply, type SubjectCall, type ProxyInfo } from './remote.js';
export { serveDetectorJobs } from './detector-process.js';
