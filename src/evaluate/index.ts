// Contract -> SLO definitions -> statuses, embedded (scraped by sloctl) or read through PromQL.
export { defineSlos } from './definitions.ts';
export type { SloDefinition, SliSource, LatencySource, ErrorsSource, AvailabilitySource, Scope, WindowSpec } from './definitions.ts';
export { BadTotalWindow, EmbeddedEvaluator, type ScrapeContext } from './embedded.ts';
export { evaluateSlo, healthRows, skippedSlo, pct, num, burn, duration } from './report.ts';
export type { EventSource, EvaluateOptions, PercentileStatus, SloState, SloStatus, StatusReport, WindowCounts } from './report.ts';
export { evaluateThroughPrometheus, type PromqlStatus, type PromqlStatusOptions } from './promql.ts';
export { renderStatus, renderTable, renderMarkdown, renderJson, renderExplain, headline, type StatusFormat } from './render.ts';
