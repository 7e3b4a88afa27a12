// Whether the recording rules a Prometheus evaluates for a service were generated with the label
// matchers `status --selector` was given.
//
// The recorded series (`sloctl:...{sloctl_service, sloctl_slo}`) carry no trace of the selector the
// rules were generated with: rules generated without one sum every job's series. Read with a
// selector, such numbers would ignore it. The server's rules API (`/api/v1/rules`) prints every
// rule's expression back; the rule generator writes the selector's matchers into every raw
// selector, so rules generated with it contain each matcher as Prometheus prints matchers
// (`name="value"`, Go-quoted). The check is conservative: a selector it cannot parse, a rules API
// it cannot read, a rule group of the service without the matchers: not confirmed, and the
// caller reads the raw series with the selector instead.
import { checkLabelMatchers, type LabelMatcherText } from '../contract/promql.ts';
import type { LoadedRuleGroup } from '../observe/promql-client.ts';

/**
 * `job="checkout", instance=~"a|b"` as matchers, read with Prometheus' grammar; undefined when it
 * is not a plain list of label matchers (the check then cannot confirm anything).
 */
export function parseSelector(text: string): LabelMatcherText[] | undefined {
  const r = checkLabelMatchers(text);
  return r.ok ? r.matchers : undefined;
}

/** A matcher as Prometheus prints it back (Go's %q of the value; JSON's escapes agree for text). */
export function printedMatcher(m: LabelMatcherText): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

export type RulesSelectorCheck =
  | { confirmed: true }
  | { confirmed: false; reason: string };

/**
 * Whether every recording-rule group of `service` for the SLOs in `slos` reads the selector's
 * matchers. `groups` is the rules API's answer, or the error reading it.
 */
export function checkRulesSelector(groups: LoadedRuleGroup[] | Error, service: string, slos: readonly string[], selector: string): RulesSelectorCheck {
  const matchers = parseSelector(selector);
  if (matchers === undefined) return { confirmed: false, reason: `--selector ${selector} is not a plain list of label matchers sloctl can look for in the rules` };
  if (groups instanceof Error) return { confirmed: false, reason: `the rules API could not be read to confirm the rules use it (${groups.message})` };
  const wanted = new Set(slos);
  const printed = matchers.map(printedMatcher);
  let seen = 0;
  const without: string[] = [];
  for (const g of groups) {
    const mine = g.rules.filter((r) => r.type === 'recording' && r.labels.sloctl_service === service && wanted.has(r.labels.sloctl_slo ?? ''));
    if (mine.length === 0) continue;
    seen++;
    const text = mine.map((r) => r.query).join('\n');
    const missing = printed.filter((p) => !text.includes(p));
    if (missing.length > 0) without.push(`${g.name}${g.file ? ` (${g.file})` : ''}`);
  }
  if (seen === 0) return { confirmed: false, reason: 'the rules API lists no recording rule of this service, so nothing confirms the recorded series use it' };
  if (without.length > 0) {
    return { confirmed: false, reason: `the recording rules ${without.join(', ')} do not read ${selector} (generated without --selector, or with another one)` };
  }
  return { confirmed: true };
}
