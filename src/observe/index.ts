// sloctl's observe layer: reading what a service exposes.

export {
  EXPOSITION_DEFAULTS,
  createExpositionParser,
  formatFromContentType,
  parseExposition,
} from './exposition.ts';
export type {
  ErrorHandler,
  Exemplar,
  ExpositionError,
  ExpositionFormat,
  ExpositionOptions,
  ExpositionParser,
  ExpositionSummary,
  MetricFamily,
  MetricFamilyInfo,
  MetricType,
  ParseResult,
  Sample,
  SampleHandler,
} from './exposition.ts';
