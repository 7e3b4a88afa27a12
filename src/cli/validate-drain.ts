// A drift action `drain` on a Node service that never calls `sdk.serve(server)` (`validate
// --project`). The responder's drain stops accepting, finishes the requests in flight and exits
// only for a server given to sdk.serve(); without one it turns health DOWN and nothing else: the
// service keeps accepting and running, and `sloctl accept` fails the drift phase at run time
// (`sloctl_drain_server 0`), after minutes of load. The code says so before the run: a warning at
// the contract's `action: drain`, with where instrument() is called and the line to add.
//
// Said only where it is certain: a Node contract, instrument() called in its own code (not with
// `drift: false`), and no method call named `serve` anywhere in the scanned code (ts-sdk-serve.ts
// counts any receiver but the drill endpoint, so a call through a value sloctl cannot follow is
// never taken for a missing one). Go is left alone: the Go middleware has no drift responder, and
// its SDK.Drain() only turns health DOWN; the drain of a Go server is its own http.Server.Shutdown.

import type { Diagnostic } from '../contract/diagnostic.ts';
import type { LoadedContract } from '../contract/load.ts';
import type { SdkInstrumentCall, ServeCall } from '../scan/types.ts';

/** `instruments` are the contract's own code's, `serves` any scanned code's; files as shown to the user. */
export function drainNotServedFinding(l: LoadedContract, instruments: readonly SdkInstrumentCall[], serves: readonly ServeCall[]): Diagnostic | undefined {
  const c = l.contract;
  if (c === undefined || c.service.runtime === 'go' || c.objectives.drift?.action !== 'drain') return undefined;
  const on = instruments.filter((i) => !i.driftOff);
  if (on.length === 0 || serves.length > 0) return undefined;
  const site = on[0];
  return {
    file: l.file, ...l.locate(['objectives', 'drift', 'action'], 'value'), severity: 'warning', code: 'SLO_DRAIN_NOT_SERVED', path: ['objectives', 'drift', 'action'],
    message: `the drift action is \`drain\`, but the code never calls \`sdk.serve(server)\` (instrument() is called at ${site.file}:${site.line}:${site.col}): without a server the drain only turns health DOWN, the service keeps accepting connections and running, and \`sloctl accept\` fails the drift phase (sloctl_drain_server 0)`,
    hint: 'add `sdk.serve(server, { signals: true });` after the HTTP server is made (`sdk`: what instrument() returns; `server`: what app.listen() returns on Express, app.server on Fastify, what @hono/node-server\'s serve() returns on Hono); `signals: true` also drains on SIGTERM',
    related: on.map((i) => ({ file: i.file, line: i.line, col: i.col, message: `sloctl's SDK is made here: \`${i.what}\`` })),
  };
}
