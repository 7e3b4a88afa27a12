// What the code check reports: the metrics a service's source registers, and the places it
// could not read. The contract check matches the contract's metric names against `metrics`;
// `warnings` tell the user where sloctl had to give up, so a "not registered" error is never
// silently wrong.

import type { FoundRoute } from '../contract/route-paths.ts';

export type RegisteredMetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface RegisteredMetric {
  /** The full metric name as the exposition shows it (without `_bucket`/`_sum`/`_count`). */
  name: string;
  type: RegisteredMetricType;
  /** Path relative to the scanned directory, with `/` separators. */
  file: string;
  /**
   * 1-based line and column (UTF-16 code units, as editors count them). For an explicit
   * registration this is the name's expression inside the options (`name: '...'` in
   * prom-client, `Name: "..."` in client_golang); for a bulk registration (default metrics,
   * the SDK) it is the call that turns them on.
   */
  line: number;
  col: number;
  /** How it was registered, e.g. "prom-client new Histogram", "promauto.NewCounterVec". */
  via: string;
  /**
   * Set for metrics registered in bulk by one call: `sdk` for sloctl's SDK (its own series),
   * `runtime` for prom-client's or client_golang's default collectors. The reverse check
   * (`--strict`) never calls these "uncovered": the service did not choose them one by one.
   */
  bulk?: 'sdk' | 'runtime';
  /**
   * A histogram's bucket bounds (seconds, sorted, without +Inf) when the code states them in a way
   * sloctl can read (client_golang: a `[]float64{...}` of numbers and constants, prometheus.DefBuckets,
   * no Buckets field at all, Linear/Exponential/ExponentialBucketsRange of constants, append(...) of
   * those, or a variable set to one of these and never assigned to).
   */
  buckets?: number[];
  /** Where the buckets are set: the bounds' literal (or call), or the `Buckets:` value when they are unread. */
  bucketsAt?: { line: number; col: number };
  /**
   * A histogram whose Buckets the code sets in a way sloctl cannot read statically (a function
   * call, a value built at run time, a struct field): what they are, for a warning at `bucketsAt`
   * that the buckets were not checked. Never set together with `buckets`.
   */
  bucketsUnread?: string;
  /**
   * The label names every series of the metric carries, when the code states them so that sloctl
   * can read them (prom-client: `labelNames`, or none; client_golang: a Vec's `[]string{...}` and
   * the literal keys of `ConstLabels`; sloctl's SDK: its own), and where they are set. Undefined:
   * not read (computed at run time), so not checked.
   */
  labels?: string[];
  labelsAt?: { line: number; col: number };
}

/** A route the code registers (src/contract/route-paths.ts FoundRoute), and how it was registered. */
export interface RegisteredRoute extends FoundRoute {
  /** How it was registered, e.g. "fastify app.get", "gin r.Group(\"/v1\").GET". */
  via: string;
  /**
   * Where the handler's own code is, when the registration gives it so that sloctl knows it: an
   * inline function, or a function of the same file (Node) or package (Go) named directly and
   * referenced nowhere else. `sloctl init` reads which dependencies a route calls from the calls
   * inside it (one level: not the functions it calls). Undefined: not known, nothing is said.
   */
  handler?: SourceSpan;
}

/** A stretch of a file, from the first character (line, col) to the one after the last (endLine, endCol), 1-based. */
export interface SourceSpan {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** A route registration whose path (or prefix) is computed at run time: counted, never guessed. */
export interface UnresolvedRoute {
  file: string;
  line: number;
  col: number;
  /** The expression sloctl could not read, shortened. */
  what: string;
}

/**
 * An outbound HTTP call or client that waits without a bound (`fetch` without a signal, an axios
 * or got call without `timeout`, Go's `http.Get` or an `http.Client{}` without `Timeout`): a slow
 * dependency then holds the service's request as long as it likes. The contract's
 * `objectives.dependencies.requireTimeout` decides whether validate calls it an error.
 */
export interface UntimedClient {
  file: string;
  line: number;
  col: number;
  /** The call or literal, shortened: `fetch(url)`, `&http.Client{}`. */
  call: string;
  /** Which client, e.g. "fetch", "axios.get", "undici Pool.request", "http.Get". */
  via: string;
  /** What to change, in the client's own terms. */
  fix: string;
  /**
   * Source text that says where the call goes (the URL argument), matched against the contract's
   * dependencies (their env variable, URL or name) to say which one it may be; empty when unknown.
   */
  target: string;
  /**
   * A client made once and held in a package-level variable (Go: `var payments = &http.Client{...}`):
   * where the package's code calls a method on it (`payments.Do(req)`). The client is not a call
   * itself; these are, for `sloctl init` to tell which routes' handlers make them.
   */
  uses?: Array<{ file: string; line: number; col: number }>;
  /** Go: the variable a client literal is stored in (`payments` of `var payments = &http.Client{}`), when `target` says more (its calls' `os.Getenv(...)`). */
  holder?: string;
}

/**
 * An outbound HTTP call that carries a bound (`fetch(url, { signal: AbortSignal.timeout(100) })`,
 * axios or got with `timeout`): not a finding, but a dependency the service has, which `sloctl
 * init` lists with the bound it found.
 */
export interface TimedClient extends Omit<UntimedClient, 'fix'> {
  /** The option that bounds it, as written: `signal: AbortSignal.timeout(100)`, `timeout: 2000`. */
  timeout: string;
}

/**
 * A dependency the code names through sloctl's SDK: Node `sdk.dependency('payments')`, Go
 * `sdk.Dependency("inventory")` / `sdk.MustDependency("inventory")`. The SDK refuses, when the
 * service starts, a name its contract does not declare (src/sdk/instrument.ts, go/sloctl/sdk.go),
 * so validate checks each name against the contract and `sloctl init` declares them.
 */
export interface SdkDependency {
  name: string;
  /** Where the name is written: the call's argument. */
  file: string;
  line: number;
  col: number;
  /** The call, shortened: `sdk.dependency('payments')`. */
  call: string;
  /** The SDK method called: its refusal differs (Node throws, Go's Dependency returns an error, MustDependency panics). */
  method: 'dependency' | 'Dependency' | 'MustDependency';
  /** Why the receiver is sloctl's SDK, e.g. "instrument() from sloctl/sdk", "a *sloctl.SDK". */
  via: string;
  /**
   * Node: where the code reads this dependency's `useFallback`, which the SDK turns true only for
   * a dependency the contract declares non-critical: the code has a fallback for it.
   */
  fallback?: { file: string; line: number; col: number };
}

/**
 * A call of the SDK's dependency method (`.dependency('x')`, Go `.Dependency("x")` /
 * `.MustDependency("x")`) with a name sloctl can read, on a value it does not know to be the SDK
 * (a parameter without the `Sdk` type, a function's result): the name may reach the SDK, so validate
 * does not call a declared dependency it names unnamed, and does not check it either.
 */
export type DependencyCall = Pick<SdkDependency, 'name' | 'file' | 'line' | 'col' | 'call' | 'method'>;

/**
 * sloctl's SDK middleware mounted on an app after a route or router on that same app (Express,
 * Koa, Hono: src/scan/ts-sdk-order.ts): the requests those routes answer never reach the
 * middleware, so they are never recorded. At the SDK's registration; `route` is the first route
 * registered before it.
 */
export interface SdkOrderProblem {
  file: string;
  line: number;
  col: number;
  /** The registration, shortened: `app.use(middleware(sdk))`. */
  call: string;
  /** The app's name in the code. */
  app: string;
  framework: 'Express' | 'Koa' | 'Hono';
  route: { line: number; col: number; call: string };
  /**
   * The route is a router imported from another file (`app.use('/api', api)` with `api` from
   * `./routes/api.js`): its first route there (`GET /orders`, as registered), so the finding can
   * point at it.
   */
  router?: { file: string; line: number; col: number; what: string };
}

export interface ScanWarning {
  file: string;
  line: number;
  col: number;
  message: string;
  /**
   * `sdk-dependency`: a dependency name sloctl could not read here (computed at run time, or the
   * file's SDK calls could not be read), so which declared dependencies the code names is unknown.
   * `slash-strip`: a Go `http.StripPrefix(prefix, r)` whose prefix ends in `/`, so `r`'s routes
   * are not served under it (go-routes.ts); the route check names it for a contract route there.
   */
  about?: 'sdk-dependency' | 'slash-strip';
  /** For `slash-strip`: the StripPrefix argument, `/shop/`. */
  prefix?: string;
}

/**
 * Where sloctl's Hono middleware (`sloctl/sdk/hono`) is registered, with the prefixes of the app it
 * is registered on (`new Hono().basePath('/api')`, `app.route('/v1', sub)`): `/api/*` for
 * `app.use('*', middleware(sdk))` under basePath('/api'). The middleware serves the health and
 * metrics paths only for requests it sees, so validate checks the contract's paths against it.
 */
export interface SdkScope {
  /** The pattern the middleware runs for, as Hono joins it: `*`, `/*`, `/api/*`. */
  path: string;
  /** The app's prefix is not known (a sub-app sloctl did not see mounted). */
  prefixUnknown?: boolean;
  file: string;
  line: number;
  col: number;
  /** The call, shortened: `app.use('*', middleware(sdk))`. */
  what: string;
}

/**
 * sloctl's Express adapter (`sloctl/sdk/express`) in the code: where its middleware is first
 * mounted, and whether the code uses its `errorHandler` anywhere (without it the adapter never sees
 * a thrown error, only the status answered), or another adapter of the SDK, which sees errors itself.
 */
export interface ExpressSdkUse {
  middleware?: { file: string; line: number; col: number; what: string };
  errorHandler: boolean;
  otherAdapter: boolean;
}

/**
 * A call of sloctl's `instrument()` (from 'sloctl/sdk') in Node code (ts-sdk-serve.ts): with the
 * contract's drift action `drain`, validate checks that the code also calls `sdk.serve(server)`.
 */
export interface SdkInstrumentCall {
  file: string;
  line: number;
  col: number;
  /** The call, shortened: `instrument('slo.yaml')`. */
  what: string;
  /** `instrument({ ..., drift: false })`: the drift responder is off, so nothing ever drains. */
  driftOff: boolean;
}

/** A method call named `serve` with an argument, on any receiver but the drill endpoint (ts-sdk-serve.ts). */
export interface ServeCall {
  file: string;
  line: number;
  col: number;
  what: string;
}

export interface ScanResult {
  metrics: RegisteredMetric[];
  /** Routes registered with static paths (Fastify, Express, Koa, Hono, NestJS controllers; net/http, gin, echo). */
  routes: RegisteredRoute[];
  /** Route registrations whose path sloctl cannot read statically. */
  unresolvedRoutes: UnresolvedRoute[];
  warnings: ScanWarning[];
  /** Outbound HTTP calls and clients without a timeout (ts-timeouts.ts, go-timeouts.ts). */
  untimedClients: UntimedClient[];
  /** Outbound HTTP calls with a timeout, and where it is set (ts-timeouts.ts; Node only). */
  timedClients: TimedClient[];
  /** Dependencies the code names through sloctl's SDK (ts-sdk-dependencies.ts, go-sdk-dependencies.ts). */
  sdkDependencies: SdkDependency[];
  /** The same method called with a readable name on a value sloctl does not know to be the SDK. */
  unfollowedDependencyCalls: DependencyCall[];
  /** The SDK's middleware mounted after a route on the same app (ts-sdk-order.ts; Node only). */
  sdkOrder: SdkOrderProblem[];
  /** Where sloctl's Hono middleware runs (ts-routes.ts); Node only. */
  sdkScopes: SdkScope[];
  /** sloctl's Express adapter in the code (ts-sdk-order.ts); Node only, when the code imports the SDK. */
  expressSdk?: ExpressSdkUse;
  /** Calls of sloctl's `instrument()` (ts-sdk-serve.ts); Node only. */
  sdkInstruments?: SdkInstrumentCall[];
  /** Method calls named `serve` (`sdk.serve(server)`, ts-sdk-serve.ts); Node only. */
  serveCalls?: ServeCall[];
  /** Source files read and parsed (files skipped for size are not counted). */
  filesScanned: number;
  /**
   * Build output left out (`dist/`, `build/` holding source files), named only when the rest of
   * the code registers no metric and no route: then it may be the only code there is (a deployed
   * copy), and the findings that the code registers nothing would not be about the code.
   */
  buildOutput?: { dir: string; files: number }[];
  /**
   * Directories left out as programs of their own (Go: a `package main` below a scanned directory
   * that is itself `package main`: a stub dependency, a tool), relative to the scanned directory.
   */
  otherPrograms?: string[];
  /**
   * Workspace packages of a monorepo that the scanned code imports by name (`@mono/lib`) and whose
   * sources were scanned with it (ts-workspace.ts; Node only): `dir` relative to the scanned
   * directory (`../../packages/lib` when outside it), `importedBy` the scanned files outside the
   * package that import it. Their code is the importing service's code.
   */
  workspacePackages?: { name: string; dir: string; importedBy: string[] }[];
}
