export { defineDetector, isFlagged, FLAG_THRESHOLD } from './define.js';
export type {
  AnyDetector,
  BudgetUsage,
  Detector,
  DetectorBudget,
  DetectorContext,
  DetectorMeta,
  DetectorRng,
  JsonObject,
  JsonValue,
  OptionsSchema,
  ReferenceOrganism,
  ReferenceSet,
  ReferenceTruth,
  Verdict,
  VerdictTrigger,
} from './detector.js';
export type {
  Access,
  BlackBoxSubject,
  Examples,
  FinetuneExamples,
  FinetuneOptions,
  GrayBoxSubject,
  SampleOptions,
  SubjectFor,
  SubjectTask,
  TensorData,
  WeightTransform,
  WhiteBoxSubject,
} from './subject.js';
export type { CardArchitecture, CardFeature, CardFileHash, CardHeaderSlot, CardTask, CardTaskAxis, CardTaskBody, CardTraining, CardWeight, OrganismCard } from './card.js';
export {
  ACCESS_LEVELS,
  JSON_SCHEMA_DIALECT,
  DetectorMetaSchema,
  VerdictSchema,
  validateVerdict,
  validateMeta,
  validateOptions,
  compileOptionsSchema,
  checkDetectorShape,
  type ValidatedVerdict,
  type ValidationResult,
  type OptionsValidator,
} from './schemas.js';
export { sigmoid, fitLogistic1d, calibrateMargin, marginScore, type MarginCalibration } from './calibration.js';
export { StringEnum } from './options-helpers.js';
export { renderSchemaFile } from './schema-files.js';
export { sampleWithoutReplacement } from './sampling.js';
