// Static evaluation of Go string expressions used for metric names: literals, constants of the
// same package (or of the enclosing function), and `+` between them. Anything else depends on
// run-time values and is reported, not guessed.

import type { GoNode } from './go-parser.ts';
import type { GoPackageScope } from './go-scope.ts';
import { decodeGoString } from './go-strings.ts';
import { unparen } from './go-syntax.ts';

// Deep enough for any real chain of constants, shallow enough that a cycle ends quickly.
const MAX_DEPTH = 32;

export function resolveGoString(node: GoNode, scope: GoPackageScope, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const expr = unparen(node);
  switch (expr.type) {
    case 'interpreted_string_literal':
    case 'raw_string_literal':
      return decodeGoString(expr);
    case 'identifier': {
      const binding = scope.lookup(expr.text, expr);
      return binding?.kind === 'const' && binding.value ? resolveGoString(binding.value, scope, depth + 1) : undefined;
    }
    case 'binary_expression': {
      if (expr.childForFieldName('operator')?.text !== '+') return undefined;
      const left = expr.childForFieldName('left');
      const right = expr.childForFieldName('right');
      if (!left || !right) return undefined;
      const l = resolveGoString(left, scope, depth + 1);
      const r = l === undefined ? undefined : resolveGoString(right, scope, depth + 1);
      return r === undefined ? undefined : l! + r;
    }
    default:
      return undefined;
  }
}
