// Assembling a ScanResult in a stable order, so reports and snapshots do not depend on the
// order files were read or nodes were visited.

import type { ScanResult } from './types.ts';

type Located = { file: string; line: number; col: number };

function byLocation(a: Located, b: Located): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

export function finishResult(found: Omit<ScanResult, 'routes' | 'unresolvedRoutes' | 'untimedClients' | 'timedClients' | 'sdkDependencies' | 'unfollowedDependencyCalls' | 'sdkOrder' | 'sdkScopes'> & Partial<ScanResult>): ScanResult {
  // Array.prototype.sort is stable, so same-place entries keep the order they were found in.
  return {
    metrics: found.metrics.sort(byLocation),
    routes: (found.routes ?? []).sort(byLocation),
    unresolvedRoutes: (found.unresolvedRoutes ?? []).sort(byLocation),
    warnings: found.warnings.sort(byLocation),
    untimedClients: (found.untimedClients ?? []).sort(byLocation),
    timedClients: (found.timedClients ?? []).sort(byLocation),
    sdkDependencies: (found.sdkDependencies ?? []).sort(byLocation),
    unfollowedDependencyCalls: (found.unfollowedDependencyCalls ?? []).sort(byLocation),
    sdkOrder: (found.sdkOrder ?? []).sort(byLocation),
    sdkScopes: (found.sdkScopes ?? []).sort(byLocation),
    filesScanned: found.filesScanned,
    ...(found.expressSdk !== undefined ? { expressSdk: found.expressSdk } : {}),
    ...(found.sdkInstruments !== undefined && found.sdkInstruments.length > 0 ? { sdkInstruments: found.sdkInstruments.sort(byLocation) } : {}),
    ...(found.serveCalls !== undefined && found.serveCalls.length > 0 ? { serveCalls: found.serveCalls.sort(byLocation) } : {}),
    ...(found.buildOutput !== undefined && found.buildOutput.length > 0 ? { buildOutput: found.buildOutput } : {}),
    ...(found.workspacePackages !== undefined && found.workspacePackages.length > 0 ? { workspacePackages: found.workspacePackages } : {}),
    ...(found.otherPrograms !== undefined && found.otherPrograms.length > 0 ? { otherPrograms: [...found.otherPrograms].sort() } : {}),
  };
}
