// sloctl's observe layer: reading what a service exposes.

export {
  EXPOSITION_DEFAULTS,
  createExpositionParser,
  formatFromContentType,
  parseExposition,
} from './exposition.ts';
export type {
  DeclaredFamily,
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

export { Scraper, ScrapeError, SCRAPE_ACCEPT, checkTargetUrl, isLoopbackHost } from './scraper.ts';
export type { ScraperOptions, ScrapeErrorKind, ScrapeReport, RestartInfo } from './scraper.ts';
export { SeriesStore, Series, SERIES_STORE_DEFAULTS, compileMatchers, seriesKey } from './series-store.ts';
export type { LabelMatcher, MatchOp, SeriesStoreOptions, IngestSample, IngestBatch, IngestResult, StoreStats, SelectOptions } from './series-store.ts';
export { PromqlClient, PromqlError, parseSampleValue } from './promql-client.ts';
export type { PromqlClientOptions, PromqlErrorKind, InstantSample, RangeSeries, QueryResult, RangeResult, QueryOptions, RangeOptions } from './promql-client.ts';
