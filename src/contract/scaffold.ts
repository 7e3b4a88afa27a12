// The first contract of a service, as `sloctl init` writes it: what the code check found (routes,
// outbound calls) and a small set of objectives to start from, as YAML with a few comments that
// teach the format. The shape and numbers are those of examples/express-minimal/slo.yaml.
//
// Pure: facts in, text out. The command validates the text with the same parser as `sloctl
// validate` before it writes it (src/cli/init.ts), and the tests hold every output to that.

import { parse } from 'yaml';
import { EXAMPLE_CONTRACT } from './example-path.ts';
import { codeTimeout, type DependencyGuesses, type DependencyPlan, type FoundCall, type TimedCall } from './scaffold-dependencies.ts';
import { planLoad, type HeldRoute } from './scaffold-load.ts';
import type { RoutePlan } from './scaffold-routes.ts';
import { formatDuration, parseDuration } from './units.ts';

/** What `sloctl init` writes when not told otherwise. */
export const SCAFFOLD_DEFAULTS = {
  url: 'http://127.0.0.1:3000',
  // The schema's defaults, written out so the reader sees them.
  health: '/healthz',
  metrics: '/metrics',
  owner: 'unassigned',
  latency: { name: 'api-latency', threshold: '100ms', objective: '95%' },
  errors: '99.9%',
  availability: '99.9%',
  /** Below the latency threshold: a call that may take longer cannot fit in the route's budget. */
  dependencyTimeout: '50ms',
  /**
   * The first gate's profile. 50/s for 30 s is 1,500 measured requests: the fewest round numbers
   * that leave the errors objective (99.9%) a budget above one bad request (validate's
   * SLO_BUDGET_UNMEASURABLE wants 1,000), while any service on a laptop carries 50/s with room, so
   * a first FAIL is about latency or errors, not capacity. 16 connections: at 50/s and the 100ms
   * threshold about 5 requests are in flight, so a slow patch three times as long still does not
   * hold the generator back. A 5 s timeout is far past the threshold: a request that slow is lost.
   */
  load: { rate: 50, durationS: 30, warmupS: 5, connections: 16, timeoutS: 5 },
} as const;

export interface ScaffoldInput {
  service: { name: string; runtime: 'node' | 'go' };
  url: string;
  /** The directory whose code was read, as the user named it. */
  scanned: string;
  /** The frameworks found, as people write them (Fastify, net/http); empty when none. */
  frameworks: readonly string[];
  /** What the code check reads, for the comment when it found no route. */
  reads: string;
  routes: RoutePlan;
  dependencies: DependencyPlan;
  /** Route registrations whose path is computed at run time. */
  unresolved: ReadonlyArray<{ file: string; line: number; col: number; what: string }>;
  /** The JSON Schema's path for editors (yaml-language-server), when it is installed beside the contract. */
  schema?: string;
  /**
   * The service's own HTTP instrumentation, found by the code check (express-prom-bundle with its
   * method, path and status labels): the contract maps its names under `metrics:` instead of
   * reading sloctl's SDK's series, which the service does not export.
   */
  ownMetrics?: {
    via: string; at: string; histogram: string; requests: string; labels: { route: string; method: string; status: string };
    /** The histogram's buckets (seconds) when the code states them and none is at the latency threshold init writes. */
    bucketsWithoutThreshold?: { buckets: readonly number[]; at: string };
  };
  /**
   * The SDK's health and metrics paths when its Hono middleware runs under a prefix (a basePath):
   * it answers only the paths it sees, so they go under the prefix; `why` names the registration.
   */
  sdkPaths?: { health: string; metrics: string; why: string };
}

/** How many calls a dependency's comment lists before "and N more". */
const CALLS_SHOWN = 3;
/** Trailing comments start at this column at least, so a list of routes reads as a table. */
const COMMENT_COLUMN = 40;

export function renderScaffold(input: ScaffoldInput): string {
  const d = SCAFFOLD_DEFAULTS;
  const lines: string[] = [];
  if (input.schema !== undefined) lines.push(`# yaml-language-server: $schema=${input.schema}`, '#');
  const found = input.frameworks.length > 0 ? ` (${input.frameworks.join(', ')})` : '';
  lines.push(
    `# The first contract of ${input.service.name}, written by \`sloctl init\``,
    `# from the code under ${input.scanned}${found}.`,
    '# The numbers are a starting point, not yet a promise: agree them with the team, measure the',
    '# service (`sloctl load`, `sloctl gate`) and tighten them. Every section, with comments:',
    `# ${EXAMPLE_CONTRACT}.`,
    'apiVersion: sloctl/v1',
    '',
    'service:',
    withComment(`  name: ${scalar(input.service.name)}`, 'in metric labels and rule names'),
    withComment(`  owner: ${d.owner}`, 'the team or person that carries the pager'),
    withComment(`  runtime: ${input.service.runtime}`, 'node | go | other: which runtime metrics memory and concurrency read'),
    '',
    'target:',
    withComment(`  url: ${scalar(input.url)}`, 'where the service answers (or `run: <command>`: sloctl starts it with $PORT set)'),
    withComment(`  health: ${input.sdkPaths?.health ?? d.health}`, input.ownMetrics ? 'the service\'s health path; outside every SLI' : input.sdkPaths ? `served by sloctl's SDK, ${input.sdkPaths.why}; outside every SLI` : "served by sloctl's SDK; outside every SLI"),
    `  metrics: ${input.sdkPaths?.metrics ?? d.metrics}`,
    '',
  );
  const own = input.ownMetrics;
  if (own) {
    lines.push(
      `# The service exports its own metrics (${own.via} at ${own.at}), not sloctl's SDK's: the`,
      '# contract reads them by these names. Its histogram needs a bucket at every latency threshold.',
      ...(own.bucketsWithoutThreshold
        ? [
          `# It has none at ${THRESHOLD_MS / 1000} s (the ${d.latency.threshold} threshold below): its buckets at ${own.bucketsWithoutThreshold.at} are`,
          `# ${own.bucketsWithoutThreshold.buckets.join(', ')}. Add ${THRESHOLD_MS / 1000} to them, or set the threshold to one of them.`,
        ]
        : []),
      'metrics:',
      `  requestDuration: ${own.histogram}`,
      own.requests === `${own.histogram}_count` ? withComment(`  requests: ${own.requests}`, 'the histogram counts every request') : `  requests: ${own.requests}`,
      `  labels: { route: ${own.labels.route}, method: ${own.labels.method}, status: ${own.labels.status} }`,
      '',
    );
  }
  if (input.routes.probes.length > 0) {
    lines.push('# Requests outside every SLI: the health and readiness checks the code registers.', 'probes:');
    for (const p of input.routes.probes) lines.push(withComment(`  - ${scalar(p.path)}`, where(p.from)));
    lines.push('');
  }
  lines.push(...routeLines(input), '');
  lines.push(...loadLines(input.routes), '');
  lines.push(...dependencyLines(input.dependencies));
  lines.push(
    'objectives:',
    `  # ${d.latency.objective} of requests within ${d.latency.threshold} over the window (28 days unless \`window:\` says otherwise): a p95 of`,
    `  # ${d.latency.threshold} at most. A route can have its own threshold (\`latency:\` on the route).`,
    '  latency:',
    `    - name: ${d.latency.name}`,
    `      threshold: ${d.latency.threshold}`,
    `      objective: ${d.latency.objective}`,
    '  # The weighted success ratio: each error counts with its class\'s weight (by default transient',
    '  # 0.3, client 1.0, server 2.5; `errorClasses:` changes them).',
    '  errors:',
    `    objective: ${d.errors}`,
    '  # A composite of health UP, the latency and errors objectives met, no critical dependency down.',
    '  availability:',
    `    objective: ${d.availability}`,
  );
  return `${lines.join('\n')}\n`;
}

function routeLines(input: ScaffoldInput): string[] {
  const { routes, skipped } = input.routes;
  const out: string[] = [];
  if (routes.length === 0) {
    out.push(
      `# No route registrations were found under ${input.scanned}`,
      `# (sloctl reads ${input.reads}).`,
      '# List the routes the service serves, one a line:',
      '#   - { name: get-item, method: GET, path: /items/:id, weight: 1 }',
      'routes: []',
    );
  } else {
    out.push(
      '# One route per registration found in the code. `weight` is the business weight: the weighted',
      '# throughput counts each request by it, so raise it for the routes that matter most.',
      ...(input.dependencies.declared.length > 0
        ? [
          '# `dependencies` lists the declared dependencies a route\'s handler calls, where sloctl could read',
          '# the handler\'s own code (not the functions it calls): add those it misses, and the other routes\'.',
        ]
        : []),
      'routes:',
    );
    const depsOf = (r: (typeof routes)[number]) => (r.dependencies && r.dependencies.length > 0 ? `, dependencies: [${r.dependencies.map(flowScalar).join(', ')}]` : '');
    const rows = routes.map((r) => `  - { name: ${flowScalar(r.name)}, method: ${r.method}, path: ${flowScalar(r.path)}, weight: 1${depsOf(r)} }`);
    const column = Math.max(COMMENT_COLUMN, ...rows.map((row) => row.length + 2));
    routes.forEach((r, i) => out.push(withComment(rows[i], r.note ? `${where(r.from)}: ${r.note}` : where(r.from), column)));
  }
  const unlisted = [
    ...input.unresolved.map((u) => `${where(u)} ${oneLine(u.what)}: a path computed at run time`),
    ...skipped.filter((s) => !s.sdk).map((s) => `${where(s.from)} ${s.from.method} ${oneLine(s.from.path)}: ${s.why}`),
  ];
  if (unlisted.length > 0) {
    out.push('# Registrations not listed (add them by hand):');
    for (const u of unlisted) out.push(`#   ${u}`);
  }
  return out;
}

/**
 * The `load:` profile: the routes the gate can call as they are in its mix, every other route as a
 * commented-out entry to fill in. With no route to send, the whole section is a comment.
 */
function loadLines(plan: RoutePlan): string[] {
  const l = SCAFFOLD_DEFAULTS.load;
  const requests = l.rate * l.durationS;
  const errorBudget = (1 - Number.parseFloat(SCAFFOLD_DEFAULTS.errors) / 100) * requests;
  const { sent, held } = planLoad(plan.routes);
  const out = [
    `# What \`sloctl gate\` sends: ${l.rate} requests a second for ${l.durationS}s after a ${l.warmupS}s warm-up, ${requests} in all,`,
    `# so the errors objective (${SCAFFOLD_DEFAULTS.errors}) allows ${errorBudget.toPrecision(2)} bad requests (validate wants at least 1). The mix`,
    '# holds the routes the gate can call without a guess: GET and HEAD routes with a plain path (no',
    "# parameter). Once the gate passes, raise the rate toward the service's real traffic.",
  ];
  const profile = [
    'load:',
    `  rate: ${l.rate}/s`,
    `  duration: ${l.durationS}s`,
    `  warmup: ${l.warmupS}s`,
    withComment(`  connections: ${l.connections}`, 'requests in flight at most'),
    withComment(`  timeout: ${l.timeoutS}s`, 'a request slower than this counts as a timeout error'),
    '  mix:',
  ];
  if (sent.length > 0) {
    out.push(...profile);
    for (const s of sent) out.push(`    - route: ${scalar(s.route.name)}`, '      weight: 1');
    if (held.length > 0) {
      out.push('    # Routes the gate cannot call without something from you: fill it in, then uncomment the entry.');
      for (const h of held) out.push(...heldEntry(h).map((line) => `    # ${line}`));
    }
    return out;
  }
  if (plan.routes.length === 0) {
    out.push('# No route is listed yet: list them under `routes:`, then uncomment this with a mix entry for each.');
    profile.push(
      withComment('    - route: get-item', 'the example route above'),
      '      weight: 1',
      '      path: /items/{id}',
      withComment('      params: { id: "int(1,1000)" }', PARAM_VALUES),
    );
  } else {
    out.push('# Every route needs a value sloctl cannot guess (a path parameter, a body), so the profile is a', '# comment: fill in the entries, then uncomment it.');
    for (const h of held) profile.push(...heldEntry(h).map((line) => `    ${line}`));
  }
  out.push(...profile.map((line) => `# ${line}`));
  return out;
}

/** What the load mix's params accept (src/load/mix.ts). */
const PARAM_VALUES = 'int(LOW,HIGH), uuid, choice(a,b,c) or a literal';

/** A mix entry for a route the gate cannot call as it is, with what to fill in; lines from the entry's `-`. */
function heldEntry(h: HeldRoute): string[] {
  const lines = [withComment(`- route: ${scalar(h.route.name)}`, h.todo, COMMENT_COLUMN - 6), '  weight: 1'];
  if (h.path !== undefined) lines.push(`  path: ${scalar(h.path)}`);
  if (h.params.length > 0) {
    const params = h.params.map((p) => `${flowScalar(p)}: "int(1,1000)"`).join(', ');
    lines.push(withComment(`  params: { ${params} }`, PARAM_VALUES, COMMENT_COLUMN - 6));
  }
  if (h.body) lines.push(withComment('  body: {}', 'the JSON body, e.g. { productId: 42, quantity: 1 }', COMMENT_COLUMN - 6));
  return lines;
}

function dependencyLines(plan: DependencyPlan): string[] {
  const out: string[] = [];
  if (plan.declared.length > 0) {
    const read = plan.declared.filter((d) => d.calls.length === 0 && codeTimeout(d.timed) !== undefined).length;
    out.push(
      "# The dependencies the code names through sloctl's SDK: the SDK refuses, when the service starts,",
      ...(read === 0
        ? [
          '# a name its contract does not declare. sloctl cannot read which client timeout the code uses',
          '# for each, so `timeout` is a default: replace it with that timeout (or, where the code reads it',
          '# from this contract, with the one the dependency needs), below the latency threshold.',
        ]
        : [
          '# a name its contract does not declare. A `timeout` read from the code is the one its calls use;',
          ...(read < plan.declared.length ? ['# the others are a default: replace each with the client timeout the code uses for it.'] : []),
        ]),
      'dependencies:',
    );
    for (const dep of plan.declared) out.push(...declaredLines(dep));
    if (hasProposals(plan.proposed)) out.push(...proposedLines(plan.proposed, '  '));
    out.push('');
  } else if (hasProposals(plan.proposed)) {
    out.push(...proposedLines(plan.proposed, ''), '');
  }
  if (plan.undeclarable.length > 0) {
    out.push('# Dependencies the code names through sloctl\'s SDK that no contract can declare (a dependency name is', '# lower-case letters, digits, - and _): rename each in the code, then declare it above.');
    for (const n of plan.undeclarable.slice(0, CALLS_SHOWN)) out.push(`#   ${oneLine(JSON.stringify(n.name))}: ${oneLine(n.call)} at ${where(n)}`);
    if (plan.undeclarable.length > CALLS_SHOWN) out.push(`#   and ${plan.undeclarable.length - CALLS_SHOWN} more`);
    out.push('');
  }
  return out;
}

function hasProposals(p: DependencyGuesses): boolean {
  return p.named.length > 0 || p.unnamed.length > 0 || p.unnamedTimed.length > 0;
}

/** The latency threshold init writes, in ms: a dependency timeout at or over it leaves the route no budget (validate's SLO_DEPENDENCY_BUDGET). */
export const THRESHOLD_MS = (() => {
  const p = parseDuration(SCAFFOLD_DEFAULTS.latency.threshold);
  return p.ok ? p.value : Infinity;
})();

/** The `timeout:` line of a dependency whose calls carry a timeout sloctl can read; undefined when they carry none, or none it can read as one value. */
function codeTimeoutLine(timed: readonly TimedCall[], indent: string): string | undefined {
  const ms = codeTimeout(timed);
  if (ms === undefined) return undefined;
  const over = ms >= THRESHOLD_MS ? `, not below the ${SCAFFOLD_DEFAULTS.latency.threshold} latency threshold: a call that waits it out misses it` : '';
  return withComment(`${indent}timeout: ${formatDuration(ms)}`, `the one its calls use, read from the code${over}`);
}

/** One declared dependency: its name, where the code names it, the timeout its calls use or a default said to be one. */
function declaredLines(dep: DependencyPlan['declared'][number]): string[] {
  const out = [`  - name: ${scalar(dep.name)}`];
  if (dep.env !== undefined) out.push(`    env: ${scalar(dep.env)}`);
  if (dep.url !== undefined) out.push(`    url: ${scalar(dep.url)}`);
  const read = dep.calls.length === 0 ? codeTimeoutLine(dep.timed, '    ') : undefined;
  out.push(read ?? withComment(`    timeout: ${SCAFFOLD_DEFAULTS.dependencyTimeout}`, 'a default (not read from the code): set the client timeout the code uses'));
  if (dep.fallback) out.push(withComment('    critical: false', `the code reads its useFallback (${where(dep.fallback)}), which the SDK turns on only for a non-critical dependency`));
  const [first, ...more] = dep.named;
  out.push(`    # named at ${where(first)}: ${oneLine(first.call)}${more.length > 0 ? ` (and ${more.length} more)` : ''}`);
  if (dep.timed.length > 0) out.push(read ? '    # calls to it with that timeout:' : '    # calls to it with a timeout: set the timeout above to theirs', ...callLines(dep.timed, '    #   '));
  if (dep.calls.length > 0) out.push('    # calls to it without a timeout: give them the timeout above', ...callLines(dep.calls, '    #   '));
  return out;
}

/**
 * The guesses from outbound calls, as commented-out entries; `indent` puts them inside a
 * `dependencies:` list that is there. Calls without a timeout wait for one in the code; calls with
 * one give their entry its timeout, read from the code.
 */
function proposedLines(deps: DependencyGuesses, indent: string): string[] {
  const t = SCAFFOLD_DEFAULTS.dependencyTimeout;
  const untimed = deps.unnamed.length > 0 || deps.named.some((d) => d.calls.length > 0);
  const timed = deps.unnamedTimed.length > 0 || deps.named.some((d) => d.timed.length > 0);
  const out = !timed
    ? [
      `${indent}# Outbound HTTP calls the code makes without a timeout. A dependency's \`timeout\` is the one its`,
      `${indent}# client uses, so they are not declared yet: give the calls a timeout in the code (below the`,
      `${indent}# latency threshold of the routes that make them), then uncomment each entry with that timeout.`,
    ]
    : [
      `${indent}# Outbound HTTP calls the code makes${untimed ? ', with a timeout and without' : ' with a timeout'}: the dependencies they go to. A dependency's`,
      `${indent}# \`timeout\` is the one its client uses: an entry whose calls have one carries it, read from the code${untimed ? ';' : '.'}`,
      ...(untimed ? [`${indent}# give the calls without one a timeout in the code (below the latency threshold of the routes that make them).`] : []),
      `${indent}# Uncomment an entry to declare it (\`sloctl drill\` and \`sloctl accept\` then put their faults in front of it).`,
    ];
  // Inside a list that is there, the entries are list items; else the whole key is a comment.
  const item = indent === '' ? '#   ' : `${indent}# `;
  const field = indent === '' ? '#     ' : `${indent}#   `;
  if (deps.named.length > 0) {
    if (indent === '') out.push('# dependencies:');
    for (const dep of deps.named) {
      out.push(`${item}- name: ${scalar(dep.name)}`);
      if (dep.env !== undefined) out.push(`${field}env: ${scalar(dep.env)}`);
      if (dep.url !== undefined) out.push(`${field}url: ${scalar(dep.url)}`);
      const read = dep.timed.length > 0 ? codeTimeoutLine(dep.timed, field) : undefined;
      if (read !== undefined) out.push(read);
      else if (dep.timed.length > 0) out.push(withComment(`${field}timeout: ${t}`, 'a default: set the timeout its calls use (below)'));
      else out.push(`${field}timeout: ${t}`);
      out.push(...callLines(dep.timed, `${field}# `), ...callLines(dep.calls, `${field}# `, dep.timed.length > 0 ? ' (no timeout)' : ''));
    }
  }
  if (deps.unnamed.length > 0) out.push(`${indent}# Calls whose target sloctl cannot tell (the URL comes from elsewhere):`, ...callLines(deps.unnamed, `${indent}#   `));
  if (deps.unnamedTimed.length > 0) {
    out.push(`${indent}# Calls with a timeout whose target sloctl cannot tell (the URL comes from elsewhere): each goes to a`, `${indent}# dependency to declare by hand, with the timeout it uses:`, ...callLines(deps.unnamedTimed, `${indent}#   `));
  }
  return out;
}

/** One comment line per call (the first few), then how many more; a call with a timeout says it. */
function callLines(calls: readonly (FoundCall | TimedCall)[], prefix: string, suffix = ''): string[] {
  const out = calls.slice(0, CALLS_SHOWN).map((c) => `${prefix}${oneLine(c.call)} at ${where(c)}${'timeout' in c ? ` (${oneLine(c.timeout)})` : suffix}`);
  if (calls.length > CALLS_SHOWN) out.push(`${prefix}and ${calls.length - CALLS_SHOWN} more`);
  return out;
}

function where(r: { file: string; line: number; col: number }): string {
  return oneLine(`${r.file}:${r.line}:${r.col}`);
}

function withComment(text: string, comment: string, column = COMMENT_COLUMN): string {
  if (comment === '') return text;
  return `${text.padEnd(column - 2)}  # ${oneLine(comment)}`;
}

/** Comments are one line each: a code excerpt's line breaks would end the comment. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A value as a plain YAML scalar when it reads back as itself there, else double-quoted (JSON is valid YAML). */
function scalar(value: string): string {
  return readsBack(`k: ${value}`, value) ? value : JSON.stringify(value);
}

/** The same inside a flow mapping (`{ path: ... }`), where `,`, `{` and `}` end a plain scalar. */
function flowScalar(value: string): string {
  return readsBack(`{ k: ${value} }`, value) ? value : JSON.stringify(value);
}

function readsBack(doc: string, value: string): boolean {
  if (/[#\n\r]/.test(value)) return false;
  try {
    return (parse(doc) as { k?: unknown } | null)?.k === value;
  } catch {
    return false;
  }
}
