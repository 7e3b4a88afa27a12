// The dependencies `sloctl init` writes. Those the code names through sloctl's SDK
// (`sdk.dependency('payments')`, `sdk.MustDependency("inventory")`: src/scan/ts-sdk-dependencies.ts,
// go-sdk-dependencies.ts) are declared: the SDK refuses, when the service starts, a name its
// contract does not declare, so the service would not start under init's contract otherwise. The
// code check cannot tell which client timeout the code uses for one, so its `timeout` is a stated
// default; `critical` keeps the schema's default (true) unless the code reads the dependency's
// `useFallback`, which the SDK turns on only for a non-critical one.
//
// The others are proposed, as comments, from the outbound HTTP calls the code check found
// without a timeout (src/scan: ts-timeouts.ts, go-timeouts.ts); a guess whose name is one the
// code names through the SDK adds its env variable, URL and calls to that declaration. A dependency is named from where
// its calls go, strongest sign first: the environment variable the URL comes from
// (process.env.PAYMENTS_URL, os.Getenv("PAYMENTS_URL") -> payments), the URL's host
// (https://api.stripe.com -> stripe), or the name the client is stored under (a Go
// `payments := &http.Client{}`). A call with none of these (`fetch(url)`) is left unnamed: a guess
// would name a dependency after a variable.
//
// The outbound calls that do carry a timeout (`fetch(url, { signal: AbortSignal.timeout(100) })`)
// are named the same way: a guess with a declared name gives that declaration the timeout the
// calls use, when sloctl can read it as one number; the others are proposed with it, as comments
// (a dependency the code has, which a contract may declare with the client's timeout as it is).
//
// Pure: calls in, named groups out.

import { sanitizeName } from './scaffold-routes.ts';
import { NAME_PATTERN } from './zod-units.ts';

/** An outbound call as the code check reports it (src/scan/types.ts UntimedClient). */
export interface FoundCall {
  file: string;
  line: number;
  col: number;
  call: string;
  via: string;
  /** Source text that says where the call goes; empty when unknown. */
  target: string;
  /** A client held in a package-level variable (Go): where the code calls it. */
  uses?: ReadonlyArray<{ file: string; line: number; col: number }>;
}

/** An outbound call with a timeout (src/scan/types.ts TimedClient). */
export interface TimedCall extends FoundCall {
  /** The option that bounds it, as written: `signal: AbortSignal.timeout(100)`, `timeout: 2000`. */
  timeout: string;
}

export interface DependencyGuess {
  name: string;
  /** The environment variable the URL comes from, when it is not the contract's default (NAME_URL). */
  env?: string;
  /** A literal URL's origin in the calls' target (a fallback address: where a drill finds it). */
  url?: string;
  /** Calls to it without a timeout. */
  calls: FoundCall[];
  /** Calls to it with a timeout. */
  timed: TimedCall[];
}

export interface DependencyGuesses {
  named: DependencyGuess[];
  /** Calls without a timeout whose target names nothing. */
  unnamed: FoundCall[];
  /** Calls with a timeout whose target names nothing. */
  unnamedTimed: TimedCall[];
}

type At = { file: string; line: number; col: number };

/** A dependency the code names through sloctl's SDK (src/scan/types.ts SdkDependency). */
export interface NamedDependency extends At {
  name: string;
  /** The call, shortened: `sdk.dependency('payments')`. */
  call: string;
  /** Where the code reads the dependency's `useFallback` (Node). */
  fallback?: At;
}

export interface DeclaredDependency {
  name: string;
  env?: string;
  url?: string;
  /** The calls that name it through the SDK, in the order found. */
  named: NamedDependency[];
  /** Outbound calls to it without a timeout (a guess with its name). */
  calls: FoundCall[];
  /** Outbound calls to it with a timeout (a guess with its name). */
  timed: TimedCall[];
  /** Where the code reads its `useFallback`: the code has a fallback, so it is declared non-critical. */
  fallback?: At;
}

export interface DependencyPlan {
  /** Declared in the contract, uncommented. */
  declared: DeclaredDependency[];
  /** Names the code uses that no contract can declare (not lower-case letters, digits, - and _): renamed in the code first. */
  undeclarable: NamedDependency[];
  /** The guesses from calls without a timeout, left as comments: none of them has a declared name. */
  proposed: DependencyGuesses;
}

/** Declares what the code names through the SDK, merged with the guess of the same name; the other guesses stay proposals. */
export function planDependencies(named: readonly NamedDependency[], guesses: DependencyGuesses): DependencyPlan {
  const declared = new Map<string, DeclaredDependency>();
  const undeclarable: NamedDependency[] = [];
  for (const n of named) {
    if (!NAME_PATTERN.test(n.name)) {
      undeclarable.push(n);
      continue;
    }
    const had = declared.get(n.name);
    if (had) {
      had.named.push(n);
      had.fallback ??= n.fallback;
    } else declared.set(n.name, { name: n.name, named: [n], calls: [], timed: [], ...(n.fallback ? { fallback: n.fallback } : {}) });
  }
  const left: DependencyGuess[] = [];
  for (const g of guesses.named) {
    const d = declared.get(g.name);
    if (!d) {
      left.push(g);
      continue;
    }
    d.calls.push(...g.calls);
    d.timed.push(...g.timed);
    if (g.env !== undefined) d.env = g.env;
    if (g.url !== undefined) d.url = g.url;
  }
  return { declared: [...declared.values()], undeclarable, proposed: { named: left, unnamed: guesses.unnamed, unnamedTimed: guesses.unnamedTimed } };
}

/**
 * The timeout the timed calls use, in milliseconds, when each says one sloctl can read and they
 * agree: `AbortSignal.timeout(100)` (alone or in `AbortSignal.any([...])`), `timeout: 2000` (axios),
 * `timeout: { request: 2000 }` (got), `headersTimeout: 5000` (undici). A signal from a controller,
 * a constant or a computed value is not read; nor are calls that disagree.
 */
export function codeTimeout(timed: readonly TimedCall[]): number | undefined {
  const values = new Set(timed.map((c) => boundMs(c.timeout)));
  const [ms] = values;
  return values.size === 1 && ms !== undefined ? ms : undefined;
}

const NUMBER = '([0-9][0-9_]*(?:\\.[0-9]+)?)';
const ABORT_TIMEOUT = new RegExp(`AbortSignal\\.timeout\\(\\s*${NUMBER}\\s*\\)`, 'g');
const OPTION = new RegExp(`^(?:timeout|headersTimeout|bodyTimeout):\\s*(?:\\{\\s*request:\\s*)?${NUMBER}\\s*\\}?$`);

// Go: `Timeout: 150 * time.Millisecond`, `time.Second * 2`, `time.Second`.
const GO_UNITS: Readonly<Record<string, number>> = { Nanosecond: 1e-6, Microsecond: 1e-3, Millisecond: 1, Second: 1000, Minute: 60_000, Hour: 3_600_000 };
const GO_DURATION = new RegExp(`^Timeout:\\s*(?:${NUMBER}\\s*\\*\\s*)?time\\.(\\w+)(?:\\s*\\*\\s*${NUMBER})?$`);

function boundMs(timeout: string): number | undefined {
  const go = GO_DURATION.exec(timeout.trim());
  if (go) {
    const unit = Object.hasOwn(GO_UNITS, go[2]) ? GO_UNITS[go[2]] : NaN;
    if (go[1] !== undefined && go[3] !== undefined) return undefined;
    const ms = Number((go[1] ?? go[3] ?? '1').replace(/_/g, '')) * unit;
    return Number.isFinite(ms) && ms > 0 ? ms : undefined;
  }
  const signals = new Set([...timeout.matchAll(ABORT_TIMEOUT)].map((m) => m[1]));
  const [text] = signals.size === 1 ? signals : [OPTION.exec(timeout.trim())?.[1]];
  const ms = text === undefined ? NaN : Number(text.replace(/_/g, ''));
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

const ENV_VAR = /process\.env\.([A-Za-z_][A-Za-z0-9_]*)|process\.env\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\]|os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/;
const URL_LITERAL = /\bhttps?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]+)?/;
/** What an env variable holding an address ends with; the rest names the dependency. */
const ADDRESS_SUFFIX = /_(BASE_URL|API_URL|SERVICE_URL|URL|URI|ADDR|ADDRESS|HOST|ENDPOINT|API)$/;
/** Host labels that say "an API" or "a machine", not which one. */
const GENERIC_HOST_LABELS = new Set(['www', 'api', 'apis', 'svc', 'service', 'services', 'internal', 'http', 'https']);
/** Names of variables that hold any address or client: not a dependency's name. */
const GENERIC_IDENTIFIERS = new Set(['url', 'uri', 'href', 'link', 'req', 'request', 'r', 'u', 'endpoint', 'target', 'addr', 'address', 'host', 'base', 'baseurl', 'path', 'client', 'c', 'cli', 'httpclient', 'pool', 'agent', 'dispatcher', 'http', 'api', 'plain', 'opts', 'options', 'config', 'cfg', 'input', 'resource']);

/** Groups the calls without a timeout (`calls`) and with one (`timed`) by the dependency their target names. */
export function guessDependencies(calls: readonly FoundCall[], timed: readonly TimedCall[] = []): DependencyGuesses {
  const byName = new Map<string, DependencyGuess>();
  const unnamed: FoundCall[] = [];
  const unnamedTimed: TimedCall[] = [];
  const add = (call: FoundCall, into: 'calls' | 'timed') => {
    const guess = nameOf(call.target);
    if (!guess) {
      if (into === 'calls') unnamed.push(call);
      else unnamedTimed.push(call as TimedCall);
      return;
    }
    let had = byName.get(guess.name);
    if (!had) byName.set(guess.name, (had = { ...guess, calls: [], timed: [] }));
    else {
      had.env ??= guess.env;
      had.url ??= guess.url;
    }
    if (into === 'calls') had.calls.push(call);
    else had.timed.push(call as TimedCall);
  };
  for (const call of calls) add(call, 'calls');
  for (const call of timed) add(call, 'timed');
  return { named: [...byName.values()], unnamed, unnamedTimed };
}

/** A guessed name must read as a word: `0` or `9lives` from `$0` or `process.env["9LIVES_URL"]` name nothing. */
function nameOf(target: string): Omit<DependencyGuess, 'calls' | 'timed'> | undefined {
  const guess = guessName(target);
  return guess && /^[a-z]/.test(guess.name) ? guess : undefined;
}

function guessName(target: string): Omit<DependencyGuess, 'calls' | 'timed'> | undefined {
  const url = originOf(target);
  const env = ENV_VAR.exec(target);
  const variable = env ? (env[1] ?? env[2] ?? env[3]) : undefined;
  if (variable !== undefined) {
    const name = sanitizeName(variable.toUpperCase().replace(ADDRESS_SUFFIX, '').replace(/_/g, '-'));
    if (name !== '') return { name, ...(defaultEnv(name) !== variable ? { env: variable } : {}), ...(url ? { url } : {}) };
  }
  const host = url ? new URL(url).hostname : undefined;
  if (host !== undefined && !isAddressOnly(host)) {
    const label = host.split('.').find((l) => !GENERIC_HOST_LABELS.has(l.toLowerCase()));
    const name = label ? sanitizeName(label) : '';
    if (name !== '') return { name, ...(url ? { url } : {}) };
  }
  const identifier = /^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*$/.exec(target)?.[1];
  if (identifier !== undefined && !GENERIC_IDENTIFIERS.has(identifier.toLowerCase())) {
    const name = sanitizeName(identifier.replace(/(Client|HTTP|Http|Pool|Api|API|URL|Url)$/, ''));
    if (name !== '') return { name };
  }
  return undefined;
}

/** The contract's default variable for a dependency: payments -> PAYMENTS_URL (src/drill/plan.ts dependencyEnv). */
function defaultEnv(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

function originOf(text: string): string | undefined {
  const m = URL_LITERAL.exec(text);
  if (!m) return undefined;
  try {
    return new URL(m[0]).origin;
  } catch {
    return undefined;
  }
}

/** localhost and IP addresses say where, not what. */
function isAddressOnly(host: string): boolean {
  return host === 'localhost' || /^[0-9.]+$/.test(host) || host.startsWith('[');
}
