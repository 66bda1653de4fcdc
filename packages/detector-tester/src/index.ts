export { testDetector } from './test-detector.js';
export { testPluginPackage, type PluginPackageCases } from './package-checks.js';
export { optionsSchemaOf, undescribedFields, schemaFileText, type FoundSchema } from './schema-file.js';
export { runSchemaCli } from './schema-cli.js';
export { DetectorTester, DetectorCheckError, createDetectorTester, type CellReport, type ConfigureReport, type ExpectReport } from './tester.js';
export { validateCases, TesterUsageError, CASE_KEYS, type TesterCases, type ExpectCase, type OrganismSelection } from './cases.js';
export { resolveZooDir, openZoo, selectOrganisms, devOrganisms, DEFAULT_ZOO_CANDIDATES, type TesterZoo, type ZooEntry } from './zoo.js';
export { asSubject, asCard, makeSubject, fingerprint, liveTensors, stateIssues, type Fingerprint } from '@sandtrap/harness';
/** The tester's minAuroc check uses the scoreboard's AUROC (Mann–Whitney, ties ½); re-exported for authors who used the tester's. */
export { auroc } from '@sandtrap/stats';
export { fakeContext, type FakeContextInit } from './context.js';
