// The dependency-name check of `validate --project` / `--go-module-path`: every dependency the code
// names through sloctl's SDK (Node `sdk.dependency('payments')`, Go `sdk.MustDependency("x")`,
// found by src/scan/ts-sdk-dependencies.ts and go-sdk-dependencies.ts) must be one the contract
// declares, or the service does not start under it: the SDK refuses the name. One error per
// undeclared name, located at the first call that names it in the code (the others are notes),
// naming the closest declared name and where to declare it.
//
// And the reverse (checkUnnamedDependencies): a dependency the contract declares that the code,
// which uses the SDK, never names through it (src/scan/unnamed-dependencies.ts says when that is
// known). A warning at the dependency's name in the contract: the service runs, but the SDK never
// learns the dependency's state, so nothing the service exports shows it down.

import type { Diagnostic, Related } from '../contract/diagnostic.ts';
import type { LoadedContract } from '../contract/load.ts';
import { sanitizeName } from '../contract/scaffold-routes.ts';
import { closest } from '../contract/suggest.ts';
import { NAME_PATTERN } from '../contract/zod-units.ts';
import type { SdkDependency } from '../scan/types.ts';
import { attachCalls, namingCall, unnamedDependencies, type SdkNamingFacts } from '../scan/unnamed-dependencies.ts';
import { pluralize } from './plural.ts';

/** How many other calls naming the same dependency a finding lists as notes. */
const MAX_NOTES = 10;

/** What the SDK does with a name its contract does not declare. */
const REFUSAL: Record<SdkDependency['method'], string> = {
  dependency: '`dependency()` throws a ContractError',
  Dependency: '`Dependency` returns an error',
  MustDependency: '`MustDependency` panics',
};

export interface DependencyNameCheck {
  diagnostics: Diagnostic[];
  /** One line for the summary, when the code names any dependency through the SDK. */
  summary: string | undefined;
}

/**
 * `named` are the calls in the code that belongs to this contract, with `file` as shown to the
 * user; `where` names the directories that code was looked for in.
 */
export function checkDependencyNames(l: LoadedContract, named: readonly SdkDependency[], where: string): DependencyNameCheck {
  const c = l.contract!;
  if (named.length === 0) return { diagnostics: [], summary: undefined };
  const declared = c.dependencies.map((d) => d.name);
  const byName = new Map<string, SdkDependency[]>();
  for (const n of named) byName.set(n.name, [...(byName.get(n.name) ?? []), n]);
  const out: Diagnostic[] = [];
  const undeclared: string[] = [];
  for (const [name, sites] of byName) {
    if (declared.includes(name)) continue;
    undeclared.push(name);
    const [first, ...others] = sites;
    const related: Related[] = others.slice(0, MAX_NOTES).map((s) => ({ file: s.file, line: s.line, col: s.col, message: `also named here: \`${s.call}\`` }));
    if (c.dependencies.length > 0) related.push({ file: l.file, ...l.locate(['dependencies'], 'key'), message: `the contract declares: ${declared.join(', ')}` });
    out.push({
      file: first.file, line: first.line, col: first.col, severity: 'error', code: 'SLO_DEPENDENCY_UNDECLARED',
      message: `\`${first.call}\` names dependency ${JSON.stringify(name)}, which ${l.file} does not declare: the SDK refuses it when the service starts (${REFUSAL[first.method]})${sites.length > 1 ? `; ${pluralize(sites.length, 'call')} name it` : ''}`,
      hint: hintFor(l, name, declared),
      ...(related.length > 0 ? { related } : {}),
    });
  }
  const names = [...byName.keys()];
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
  const verdict = undeclared.length === 0 ? 'all declared' : `${undeclared.length} not declared (${undeclared.join(', ')})`;
  return { diagnostics: out, summary: `  dependency names (${l.file}): its code under ${where} names ${pluralize(names.length, 'dependency', 'dependencies')} through sloctl's SDK (${shown}), ${verdict}` };
}

function hintFor(l: LoadedContract, name: string, declared: readonly string[]): string {
  if (!NAME_PATTERN.test(name)) {
    const fixed = sanitizeName(name) || 'payments';
    return `no contract can declare it: a dependency name is lower-case letters, digits, - and _ (at most 63); rename it in the code, e.g. ${JSON.stringify(fixed)}, and declare that under \`dependencies:\` in ${l.file}`;
  }
  const declare = `declare it under \`dependencies:\` in ${l.file} with the client timeout the code uses for it: \`- { name: ${name}, timeout: 150ms }\``;
  const near = closest(name, declared);
  if (near === undefined) return declare;
  const at = l.locate(['dependencies', declared.indexOf(near), 'name']);
  return `did you mean ${JSON.stringify(near)} (declared at ${l.file}:${at.line}:${at.col})? Otherwise ${declare}`;
}

/**
 * `facts` are the SDK facts of the code that belongs to this contract, files as shown to the user,
 * with where the SDK is switched on; `language` is that code's; `where` names the directories.
 */
export function checkUnnamedDependencies(l: LoadedContract, facts: SdkNamingFacts & { sdkSite?: { file: string; line: number; col: number; via: string } }, language: 'node' | 'go', where: string): DependencyNameCheck {
  const c = l.contract!;
  if (c.dependencies.length === 0) return { diagnostics: [], summary: undefined };
  const found = unnamedDependencies(c.dependencies.map((d) => d.name), facts);
  if (!found.decided) {
    if (found.why === 'no-sdk') return { diagnostics: [], summary: undefined };
    const [first, ...more] = found.unread;
    return { diagnostics: [], summary: `  dependency names (${l.file}): not checked that its code names every declared dependency through sloctl's SDK: the name at ${first.file}:${first.line}:${first.col}${more.length > 0 ? ` (and ${pluralize(more.length, 'other place')})` : ''} cannot be read, and may be any of them` };
  }
  const out: Diagnostic[] = [];
  const shown = (facts.named.length > 0 ? [...new Set(facts.named.map((n) => n.name))] : []).join(', ');
  for (const name of found.unnamed) {
    const i = c.dependencies.findIndex((d) => d.name === name);
    const fallback = language === 'node' ? ', and the code cannot read its `useFallback` in degraded mode' : '';
    const related: Related[] = facts.named.length > 0
      ? [{ file: facts.named[0].file, line: facts.named[0].line, col: facts.named[0].col, message: `the code names ${shown} through the SDK, e.g. here: \`${facts.named[0].call}\`` }]
      : facts.sdkSite ? [{ file: facts.sdkSite.file, line: facts.sdkSite.line, col: facts.sdkSite.col, message: `the code uses sloctl's SDK here (${facts.sdkSite.via}), and names no dependency through it` }] : [];
    out.push({
      file: l.file, ...l.locate(['dependencies', i, 'name']), severity: 'warning', code: 'SLO_DEPENDENCY_UNNAMED', path: ['dependencies', i, 'name'],
      message: `dependency ${JSON.stringify(name)} is declared, but its code under ${where}, which uses sloctl's SDK, never names it through the SDK: the SDK never learns its state, so \`sloctl_dependency_up\` has no series for it and the health endpoint reports it UNKNOWN whatever happens${fallback}; a drill that takes it down shows only in other signals`,
      hint: `name it where the service calls ${name} and attach its breaker or check: ${attachCalls(namingCall(name, language, facts.named), language)}; or remove it from ${l.file} if the service does not call it`,
      ...(related.length > 0 ? { related } : {}),
    });
  }
  if (found.unnamed.length === 0) return { diagnostics: out, summary: undefined };
  return { diagnostics: out, summary: `  dependency names (${l.file}): ${pluralize(found.unnamed.length, 'declared dependency', 'declared dependencies')} never named through sloctl's SDK in its code under ${where} (${found.unnamed.join(', ')})` };
}
