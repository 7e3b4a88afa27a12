// PromQL in custom SLIs, checked with Prometheus' own grammar (lezer-promql, the parser behind
// the Prometheus UI), so a query that would fail in Prometheus fails here first.
import { parser } from '@prometheus-io/lezer-promql';

/** Placeholder a custom SLI writes for its window, e.g. `rate(x[$window])`. */
export const WINDOW_PLACEHOLDER = '$window';
// Same length as the placeholder, so offsets in the parsed text are offsets in the original.
const WINDOW_STAND_IN = '999999s';

export interface PromqlProblem {
  /** 0-based offset into the query text. */
  offset: number;
  message: string;
}

export interface PromqlCheck {
  problems: PromqlProblem[];
  /** Metric names the query selects: `foo{...}` and `{__name__="foo"}`. */
  metrics: string[];
}

function describeAt(query: string, offset: number): string {
  if (offset >= query.length) return 'the query ends too early (an unclosed bracket or a missing operand?)';
  const rest = query.slice(offset).match(/^\S{1,20}/)?.[0] ?? query[offset];
  return `unexpected ${JSON.stringify(rest)}`;
}

export function checkPromql(query: string): PromqlCheck {
  const text = query.split(WINDOW_PLACEHOLDER).join(WINDOW_STAND_IN);
  const tree = parser.parse(text);
  const problems: PromqlProblem[] = [];
  const metrics = new Set<string>();
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        if (problems.length === 0 || problems[problems.length - 1].offset !== node.from) {
          problems.push({ offset: node.from, message: `PromQL syntax error at character ${node.from + 1}: ${describeAt(text, node.from)}` });
        }
        return false;
      }
      if (node.name === 'VectorSelector') {
        const first = node.node.firstChild;
        if (first?.name === 'Identifier') metrics.add(text.slice(first.from, first.to));
      }
      if (node.name === 'UnquotedLabelMatcher' || node.name === 'QuotedLabelMatcher') {
        const labelName = node.node.getChild('LabelName');
        const value = node.node.getChild('StringLiteral');
        const op = node.node.getChild('MatchOp');
        if (labelName && value && op && text.slice(labelName.from, labelName.to) === '__name__' && text.slice(op.from, op.to) === '=') {
          metrics.add(text.slice(value.from + 1, value.to - 1));
        }
      }
      return undefined;
    },
  });
  if (text.trim() === '') problems.push({ offset: 0, message: 'the query is empty' });
  return { problems, metrics: [...metrics] };
}
