export { auroc, aurocByLabel } from './auroc.js';
export { sigmoid, softplus, fitLogistic, fitLogistic1d, type LogisticOptions, type LogisticFit } from './logistic.js';
export { solveSpd, type SolveSpdOptions } from './linear.js';
