// Route templates (`/products/:id`, `/files/*`) matched against a request path without regular
// expressions or allocation: for the node:http adapter, which has no router to ask. Templates
// with fewer parameters are tried first, so `/orders/latest` wins over `/orders/:id`.
//
// Pure.

interface Compiled {
  template: string;
  /** Literal segments as strings; null for a `:param` segment. */
  segments: (string | null)[];
  /** Ends with `*`: matches any rest of the path. */
  rest: boolean;
  params: number;
}

function compile(template: string): Compiled {
  const parts = template.split('/').slice(1);
  const rest = parts.length > 0 && (parts[parts.length - 1] === '*' || parts[parts.length - 1].startsWith('*'));
  if (rest) parts.pop();
  const segments = parts.map((p) => (p.startsWith(':') ? null : p));
  return { template, segments, rest, params: segments.filter((s) => s === null).length + (rest ? 1 : 0) };
}

function matches(c: Compiled, path: string, end: number): boolean {
  let pos = 1;
  const segs = c.segments;
  for (let i = 0; i < segs.length; i++) {
    if (pos > end) return false;
    let stop = path.indexOf('/', pos);
    if (stop < 0 || stop > end) stop = end;
    const seg = segs[i];
    if (seg === null) {
      if (stop === pos) return false;
    } else if (stop - pos !== seg.length || !path.startsWith(seg, pos)) {
      return false;
    }
    pos = stop + 1;
  }
  if (c.rest) return pos <= end + 1;
  return pos === end + 1 || (segs.length === 0 && end <= 1);
}

/**
 * True when a path with no query that equals `template` matches it, whatever other templates
 * there are: a template without parameters (the templates with fewer parameters are tried first,
 * and two parameterless ones cannot both match), so a Map of them answers in one read.
 */
export function matchedExactly(template: string): boolean {
  return template.startsWith('/') && compile(template).params === 0;
}

/** A function from a request URL (path, optionally with a query) to the template it matches. */
export function templateMatcher(templates: readonly string[]): (url: string) => string | undefined {
  const compiled = [...new Set(templates)].filter((t) => t.startsWith('/')).map(compile)
    .sort((a, b) => a.params - b.params || b.segments.length - a.segments.length);
  const exact = new Map(compiled.filter((c) => matchedExactly(c.template)).map((c) => [c.template, c.template]));
  return (url: string) => {
    const hit = exact.get(url);
    if (hit !== undefined) return hit;
    if (url.charCodeAt(0) !== 47) return undefined; // '/'
    let end = url.indexOf('?');
    if (end < 0) end = url.length;
    for (const c of compiled) if (matches(c, url, end)) return c.template;
    return undefined;
  };
}
