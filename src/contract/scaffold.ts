// The first contract of a service, as `sloctl init` writes it: what the code check found (routes,
// outbound calls) and a small set of objectives to start from, as YAML with a few comments that
// teach the format. The shape and numbers are those of examples/express-minimal/slo.yaml.
//
// Pure: facts in, text out. The command validates the text with the same parser as `sloctl
// validate` before it writes it (src/cli/init.ts), and the tests hold every output to that.

import { parse } from 'yaml';
import { EXAMPLE_CONTRACT } from './example-path.ts';
import type { DependencyGuesses, FoundCall } from './scaffold-dependencies.ts';
import type { RoutePlan } from './scaffold-routes.ts';

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
  dependencies: DependencyGuesses;
  /** Route registrations whose path is computed at run time. */
  unresolved: ReadonlyArray<{ file: string; line: number; col: number; what: string }>;
  /** The JSON Schema's path for editors (yaml-language-server), when it is installed beside the contract. */
  schema?: string;
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
    withComment(`  health: ${d.health}`, "served by sloctl's SDK; outside every SLI"),
    `  metrics: ${d.metrics}`,
    '',
  );
  if (input.routes.probes.length > 0) {
    lines.push('# Requests outside every SLI: the health and readiness checks the code registers.', 'probes:');
    for (const p of input.routes.probes) lines.push(withComment(`  - ${scalar(p.path)}`, where(p.from)));
    lines.push('');
  }
  lines.push(...routeLines(input), '');
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
      'routes:',
    );
    const rows = routes.map((r) => `  - { name: ${flowScalar(r.name)}, method: ${r.method}, path: ${flowScalar(r.path)}, weight: 1 }`);
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

function dependencyLines(deps: DependencyGuesses): string[] {
  if (deps.named.length === 0 && deps.unnamed.length === 0) return [];
  const t = SCAFFOLD_DEFAULTS.dependencyTimeout;
  const out = [
    '# Outbound HTTP calls the code makes without a timeout. A dependency\'s `timeout` is the one its',
    '# client uses, so they are not declared yet: give the calls a timeout in the code (below the',
    `# latency threshold of the routes that make them), then uncomment each entry with that timeout.`,
  ];
  if (deps.named.length > 0) {
    out.push('# dependencies:');
    for (const dep of deps.named) {
      out.push(`#   - name: ${scalar(dep.name)}`);
      if (dep.env !== undefined) out.push(`#     env: ${scalar(dep.env)}`);
      if (dep.url !== undefined) out.push(`#     url: ${scalar(dep.url)}`);
      out.push(`#     timeout: ${t}`);
      out.push(...callLines(dep.calls, '#     # '));
    }
  }
  if (deps.unnamed.length > 0) out.push('# Calls whose target sloctl cannot tell (the URL comes from elsewhere):', ...callLines(deps.unnamed, '#   '));
  out.push('');
  return out;
}

/** One comment line per call (the first few), then how many more. */
function callLines(calls: readonly FoundCall[], prefix: string): string[] {
  const out = calls.slice(0, CALLS_SHOWN).map((c) => `${prefix}${oneLine(c.call)} at ${where(c)}`);
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
