// sloctl/sdk/otel: the SDK's OpenTelemetry parts, kept out of sloctl/sdk so services that do not
// trace load none of it. Nothing here imports @opentelemetry/*: the classes have the shapes of its
// Sampler and SpanProcessor and plug into the service's own tracer provider.
//
//   import { AdaptiveSampler, KeepSpanProcessor } from 'sloctl/sdk/otel';
//   const provider = new NodeTracerProvider({
//     sampler: new ParentBasedSampler({ root: new AdaptiveSampler({ sdk }) }),
//     spanProcessors: [new KeepSpanProcessor(new BatchSpanProcessor(exporter), { sdk })],
//   });
//
// See src/sdk/README.md, "Adaptive trace sampling".
export {
  AdaptiveSampler, KeepSpanProcessor, WeightedRate, SamplingDecision, DEFAULT_SAMPLING_POLICY, SAMPLE_RATIO_METRIC,
  KEPT_SPANS_METRIC, KEEP_ATTRIBUTE, sampleRatio, weightedTotal, keepAtStart, keepSpan, slowThresholds,
  type AdaptiveSamplerOptions, type KeepOptions, type KeepReason, type SamplingPolicy, type SamplingResult,
  type SamplingDecisionValue, type SpanAttributes, type SpanLike, type SpanProcessorLike,
} from '../tracing/sampler.ts';
