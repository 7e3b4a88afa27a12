// Assembling a ScanResult in a stable order, so reports and snapshots do not depend on the
// order files were read or nodes were visited.

import type { RegisteredMetric, RegisteredRoute, ScanResult, ScanWarning, UnresolvedRoute, UntimedClient } from './types.ts';

type Located = { file: string; line: number; col: number };

function byLocation(a: Located, b: Located): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

export function finishResult(metrics: RegisteredMetric[], warnings: ScanWarning[], filesScanned: number, routes: RegisteredRoute[] = [], unresolvedRoutes: UnresolvedRoute[] = [], untimedClients: UntimedClient[] = []): ScanResult {
  // Array.prototype.sort is stable, so same-place entries keep the order they were found in.
  return { metrics: metrics.sort(byLocation), routes: routes.sort(byLocation), unresolvedRoutes: unresolvedRoutes.sort(byLocation), warnings: warnings.sort(byLocation), untimedClients: untimedClients.sort(byLocation), filesScanned };
}
