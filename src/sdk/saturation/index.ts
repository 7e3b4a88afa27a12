// The saturation monitor and its evidence (see src/sdk/README.md, "Saturation and evidence").
export { SaturationMonitor, startSaturation, saturationSignals, SATURATION_METRICS, type SaturationOptions, type SaturationHost, type SaturationStats } from './monitor.ts';
export { decide, stateValue, DEFAULT_HYSTERESIS, SATURATION_SIGNALS, type SaturationState, type SaturationLevel, type SaturationSignal, type Thresholds, type Decision } from './states.ts';
export { EvidenceStore, EvidenceTooLargeError, evidenceName, type EvidenceFile, type EvidenceKind, type EvidenceLimits } from './evidence.ts';
export { HEAP_SAMPLING_INTERVAL, type CaptureKind } from './capture.ts';
