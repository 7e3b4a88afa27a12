// The SDK-order check of `validate --project`: sloctl's SDK middleware mounted on an Express, Koa
// or Hono app after a route or router on that same app (found by src/scan/ts-sdk-order.ts, only
// where the order is certain). A warning at the SDK's registration, with the route as a note, as
// the code check's other "the service runs, but the SDK does not see everything" finding
// (SLO_DEPENDENCY_UNNAMED) is: nothing fails when the service starts, but the requests those
// routes answer never reach the middleware, so no SLI counts them.

import type { Diagnostic } from '../contract/diagnostic.ts';
import type { SdkOrderProblem } from '../scan/types.ts';

/**
 * `file` is the registration's file as shown to the user, `routerFile` the imported router's
 * file (`o.router`) shown the same way.
 */
export function sdkOrderFinding(o: SdkOrderProblem, file: string, routerFile?: string): Diagnostic {
  const moved = `move line ${o.line} above line ${o.route.line}`;
  return {
    file, line: o.line, col: o.col, severity: 'warning', code: 'SLO_SDK_ORDER',
    message: `\`${o.call}\` mounts sloctl's SDK middleware on \`${o.app}\` after a route (\`${o.route.call}\` at line ${o.route.line}:${o.route.col}): ${o.framework} runs middleware and routes in the order they are added, so a request that a route added before line ${o.line} answers never reaches the middleware; it is never recorded, and every SLI misses it`,
    hint: `register the SDK's middleware before any route: ${moved}`,
    related: [
      { file, line: o.route.line, col: o.route.col, message: `the first route registered on \`${o.app}\` before the SDK's middleware: \`${o.route.call}\`${o.router ? ', a router imported from another file' : ''}` },
      // The imported router's own route: the requests it answers are the ones the SDK never sees.
      ...(o.router ? [{ file: routerFile ?? o.router.file, line: o.router.line, col: o.router.col, message: `a route of the router \`${o.route.call}\` mounts: ${o.router.what}, answered before the SDK's middleware sees the request` }] : []),
    ],
  };
}
