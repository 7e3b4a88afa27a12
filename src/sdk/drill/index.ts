// In-process drill faults and the endpoint that applies them (see src/sdk/README.md, "Drills").
export { DrillEndpoint, createDrill, registerDrillMetrics, BodyTooLargeError, type DrillOptions, type DrillRequest, type DrillResponse } from './endpoint.ts';
export { FaultRunner, FAULTS, TooManyFaultsError, type RunnerOptions } from './runner.ts';
export { DrillClient, DrillClientError, type DrillClientOptions } from './client.ts';
export { DrillTokenError, isLoopbackAddress, fromThisMachine, tokenMatches, bearerToken, resolveDrillToken, FORWARDING_HEADERS } from './token.ts';
export { FaultParamError, type FaultDefinition, type RunningFault } from './fault.ts';
export * from './types.ts';
