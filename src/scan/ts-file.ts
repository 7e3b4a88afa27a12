// Scanning one TypeScript/JavaScript source: parse once, collect facts once, run each detector.

import { ConstStrings } from './ts-strings.ts';
import { collectFacts } from './ts-facts.ts';
import type { TsFileContext } from './ts-context.ts';
import { parseSource } from './ts-parse.ts';
import { extractNestRoutes, type NestFacts } from './ts-nest.ts';
import { detectPromBundle } from './ts-prom-bundle.ts';
import { detectPromClient } from './ts-prom-client.ts';
import { extractRoutes, type FileRoutes } from './ts-routes.ts';
import { detectSdk } from './ts-sdk.ts';
import { detectExpressSdk, detectSdkOrder, type PendingSdkOrder } from './ts-sdk-order.ts';
import { detectSdkServe } from './ts-sdk-serve.ts';
import { detectSdkDependencies, type FileSdkDependencies } from './ts-sdk-dependencies.ts';
import { detectUntimedClients } from './ts-timeouts.ts';
import type { ExpressSdkUse, RegisteredMetric, ScanWarning, SdkInstrumentCall, SdkOrderProblem, ServeCall, TimedClient, UntimedClient } from './types.ts';

export interface FileScan {
  metrics: RegisteredMetric[];
  warnings: ScanWarning[];
  /** The file's route facts, joined across files by ts-route-tables.ts. */
  routes?: FileRoutes;
  /** Outbound HTTP calls without a timeout (ts-timeouts.ts). */
  untimed?: UntimedClient[];
  /** Outbound HTTP calls with a timeout (ts-timeouts.ts), for `sloctl init`. */
  timed?: TimedClient[];
  /** NestJS controllers and global prefixes, joined across files by ts-nest.ts. */
  nest?: NestFacts;
  /** The dependencies named through sloctl's SDK (ts-sdk-dependencies.ts), joined across files. */
  sdkDependencies?: FileSdkDependencies;
  /** The SDK's middleware mounted after a route on the same app (ts-sdk-order.ts). */
  sdkOrder?: SdkOrderProblem[];
  /** The same, where the route before it may be a router imported from another file (joined by typescript.ts). */
  sdkOrderPending?: PendingSdkOrder[];
  /** sloctl's Express adapter in this file: its middleware, and whether errorHandler is used (ts-sdk-order.ts). */
  expressSdk?: ExpressSdkUse;
  /** Calls of sloctl's instrument() and of a `serve` method in this file (ts-sdk-serve.ts). */
  sdkServe?: { instruments: SdkInstrumentCall[]; serves: ServeCall[] };
}

/** `file` is the path reported in results; its extension picks the parser's dialect. */
export function scanTypeScriptSource(file: string, source: string, local?: (source: string) => boolean): FileScan {
  const warnings: ScanWarning[] = [];
  const metrics: RegisteredMetric[] = [];
  // A byte-order mark is invisible in editors; dropping it keeps columns on line 1 honest.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const parsed = parseSource(text, extensionOf(file));
  if (!parsed.ok) {
    const { line, col, message } = parsed.problem;
    warnings.push({ file, line, col, message: `cannot parse this file (${message}); metrics registered in it are not checked` });
    return { metrics, warnings };
  }
  if (parsed.recovered.length > 0) {
    const [{ line, col, message }] = parsed.recovered;
    const more = parsed.recovered.length > 1 ? ` (and ${parsed.recovered.length - 1} more)` : '';
    warnings.push({ file, line, col, message: `syntax error: ${message}${more}; registrations in this file may be missed` });
  }
  let untimed: UntimedClient[] | undefined;
  const timed: TimedClient[] = [];
  let sdkDependencies: FileSdkDependencies | undefined;
  let sdkOrder: SdkOrderProblem[] = [];
  let sdkOrderPending: PendingSdkOrder[] = [];
  let expressSdk: ExpressSdkUse | undefined;
  let sdkServe: FileScan['sdkServe'];
  try {
    const facts = collectFacts(parsed.ast);
    const ctx: TsFileContext = { file, source: text, facts, consts: new ConstStrings(facts), metrics, warnings, ...(local ? { local } : {}) };
    detectPromClient(ctx);
    detectPromBundle(ctx);
    detectSdk(ctx);
    try {
      untimed = detectUntimedClients(ctx, timed);
    } catch (error) {
      warnings.push({ file, line: 1, col: 1, message: `could not read the outbound HTTP calls of this file (${String(error)}); their timeouts are not checked` });
    }
    try {
      sdkDependencies = detectSdkDependencies(ctx, parsed.ast.program);
    } catch (error) {
      warnings.push({ file, line: 1, col: 1, about: 'sdk-dependency', message: `could not read the dependencies this file names through sloctl's SDK (${String(error)}); they are not checked against the contract` });
    }
    try {
      ({ problems: sdkOrder, pending: sdkOrderPending } = detectSdkOrder(ctx, parsed.ast.program));
    } catch (error) {
      warnings.push({ file, line: 1, col: 1, message: `could not read where this file mounts sloctl's SDK middleware (${String(error)}); its order among the routes is not checked` });
    }
    try {
      expressSdk = detectExpressSdk(ctx);
    } catch (error) {
      warnings.push({ file, line: 1, col: 1, message: `could not read how this file uses sloctl's Express adapter (${String(error)}); whether its errorHandler is mounted is not checked` });
    }
    try {
      sdkServe = detectSdkServe(ctx, parsed.ast.program);
    } catch (error) {
      warnings.push({ file, line: 1, col: 1, message: `could not read whether this file calls sloctl's instrument() or sdk.serve() (${String(error)}); whether a drain action has a server to drain is not checked` });
    }
    try {
      const nest = extractNestRoutes(ctx, parsed.ast.program);
      const routes = extractRoutes(file, text, parsed.ast.program, ctx.consts, local);
      warnings.push(...routes.warnings);
      return { metrics, warnings, routes, untimed, timed, sdkOrder, sdkOrderPending, ...(sdkDependencies ? { sdkDependencies } : {}), ...(expressSdk ? { expressSdk } : {}), ...(sdkServe ? { sdkServe } : {}), ...(nest ? { nest } : {}) };
    } catch (error) {
      warnings.push({ file, line: 1, col: 1, message: `could not read the routes of this file (${String(error)}); routes registered in it are not checked` });
    }
  } catch (error) {
    // Error recovery can leave shapes the detectors do not expect; one odd file must not end
    // the scan of the others.
    warnings.push({ file, line: 1, col: 1, message: `could not analyze this file (${String(error)}); metrics registered in it are not checked` });
  }
  return { metrics, warnings, untimed, timed, sdkOrder, sdkOrderPending, ...(sdkDependencies ? { sdkDependencies } : {}), ...(expressSdk ? { expressSdk } : {}), ...(sdkServe ? { sdkServe } : {}) };
}

function extensionOf(file: string): string {
  const dot = file.lastIndexOf('.');
  return dot < 0 ? '' : file.slice(dot).toLowerCase();
}
