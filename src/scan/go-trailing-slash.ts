// How each Go router answers a path that differs from a registered one only by its trailing `/`
// (`/products` against `"/products/"`, or the reverse), from its defaults and the settings a
// package's code makes. In these routers a trailing `/` is part of one exact path:
//   gin      RedirectTrailingSlash is true by default: a 301 redirect to the registered path
//            (307 for methods other than GET); `r.RedirectTrailingSlash = false` makes it a 404.
//   echo     a 404; middleware.AddTrailingSlash / RemoveTrailingSlash (or ...WithConfig) rewrite
//            the request's path first.
//   gorilla  StrictSlash(false) by default: a 404; StrictSlash(true) a 301 redirect.
//   chi      a 404; middleware.StripSlashes rewrites `/products/` to `/products`,
//            middleware.RedirectSlashes answers it with a 301 to `/products`.
//   ServeMux only "/products/{$}" (exactly `/products/`): `/products` gets a 301 to `/products/`.
//            A pattern ending in `/` is a subtree (src/scan/go-routes.ts), not one path.
// A redirect or a 404 is an error in the route check, since the contract's route is not served
// as written. A rewriting middleware seen anywhere in the package makes it a warning instead: it
// serves the contract's route if it wraps this route's router, which sloctl does not follow (it
// may be on another router, a group, or behind a condition), so neither a pass nor an error is
// honest. A setting that changes redirect to 404 or back (gin's flag, gorilla's StrictSlash) is
// taken package-wide too: the answer is an error either way, only its wording depends on it.

import type { SlashAnswer, TrailingSlashRule } from '../contract/route-paths.ts';
import type { GoNode } from './go-parser.ts';
import { callArguments, positionOf } from './go-syntax.ts';

export type SlashRouter = 'gin' | 'echo' | 'gorilla' | 'chi';

interface Seen {
  file: string;
  line: number;
  col: number;
  what: string;
}

/** The trailing-slash settings a package's code makes, first occurrence of each. */
export interface SlashSettings {
  ginNoRedirect?: Seen;
  gorillaStrict?: Seen;
  echoAdd?: Seen;
  echoRemove?: Seen;
  chiStrip?: Seen;
  chiRedirect?: Seen;
}

const cache = new WeakMap<object, SlashSettings>();

/** The settings of the package whose files these are (read once per package: `files` is the same array for each of its files). */
export function slashSettings(files: ReadonlyArray<{ file: string; root: GoNode }>): SlashSettings {
  const known = cache.get(files);
  if (known) return known;
  const out: SlashSettings = {};
  const note = (key: keyof SlashSettings, file: string, node: GoNode, what: string) => {
    out[key] ??= { file, ...positionOf(node), what };
  };
  for (const { file, root } of files) {
    for (const selector of root.descendantsOfType('selector_expression')) {
      if (!selector) continue;
      const field = selector.childForFieldName('field')?.text;
      const call = selector.parent?.type === 'call_expression' && selector.parent.childForFieldName('function')?.id === selector.id ? selector.parent : undefined;
      if (field === 'StrictSlash' && call && callArguments(call)[0]?.text === 'true') note('gorillaStrict', file, call, 'StrictSlash(true)');
      else if (field === 'AddTrailingSlash' || field === 'AddTrailingSlashWithConfig') note('echoAdd', file, selector, `middleware.${field}`);
      else if (field === 'RemoveTrailingSlash' || field === 'RemoveTrailingSlashWithConfig') note('echoRemove', file, selector, `middleware.${field}`);
      else if (field === 'StripSlashes') note('chiStrip', file, selector, 'middleware.StripSlashes');
      else if (field === 'RedirectSlashes') note('chiRedirect', file, selector, 'middleware.RedirectSlashes');
      else if (field === 'RedirectTrailingSlash' && selector.parent?.type === 'expression_list' && selector.parent.parent?.type === 'assignment_statement') {
        const assignment = selector.parent.parent;
        if (assignment.childForFieldName('left')?.id === selector.parent.id && assignment.childForFieldName('right')?.text === 'false') note('ginNoRedirect', file, assignment, `${assignment.childForFieldName('left')!.text} = false`);
      }
    }
  }
  cache.set(files, out);
  return out;
}

const where = (s: Seen) => `${s.what} at ${s.file}:${s.line}:${s.col}`;
const rewritten = (s: Seen, does: string): SlashAnswer => ({ kind: 'rewritten', because: `${s.what} (${s.file}:${s.line}:${s.col}) ${does}`, file: s.file, line: s.line, col: s.col });

/** How `router` answers the other spelling of a registered path, given the package's settings. */
export function trailingSlashRule(router: SlashRouter, s: SlashSettings): TrailingSlashRule {
  switch (router) {
    case 'gin': {
      const answer: SlashAnswer = s.ginNoRedirect
        ? { kind: 'not-found', because: `RedirectTrailingSlash is off: ${where(s.ginNoRedirect)}` }
        : { kind: 'redirect', status: 301, otherMethods: 307, because: 'RedirectTrailingSlash, on by default' };
      return { router: 'gin', added: answer, removed: answer };
    }
    case 'gorilla': {
      const answer: SlashAnswer = s.gorillaStrict
        ? { kind: 'redirect', status: 301, because: where(s.gorillaStrict) }
        : { kind: 'not-found', because: 'StrictSlash(false), the default' };
      return { router: 'gorilla/mux', added: answer, removed: answer };
    }
    case 'echo': {
      const plain: SlashAnswer = { kind: 'not-found', because: 'without its trailing-slash middleware' };
      return {
        router: 'echo',
        added: s.echoAdd ? rewritten(s.echoAdd, 'adds the slash') : plain,
        removed: s.echoRemove ? rewritten(s.echoRemove, 'removes the slash') : plain,
      };
    }
    case 'chi': {
      const plain: SlashAnswer = { kind: 'not-found', because: 'without middleware.StripSlashes' };
      return {
        router: 'chi',
        added: plain,
        removed: s.chiStrip ? rewritten(s.chiStrip, 'removes the slash') : s.chiRedirect ? { kind: 'redirect', status: 301, because: where(s.chiRedirect) } : plain,
      };
    }
  }
}

/** ServeMux's `"/products/{$}"`: `/products` is redirected to `/products/` (Go 1.22 net/http, ServeMux.matchOrRedirect). */
export const SERVEMUX_EXACT_SLASH: TrailingSlashRule = {
  router: "Go's ServeMux",
  added: { kind: 'redirect', status: 301, because: '{$}: the pattern matches the path with its / alone' },
  // A `{$}` pattern always ends with `/`: no request has a slash it lacks.
  removed: { kind: 'not-found', because: '{$}' },
};

/**
 * ServeMux's pattern without a trailing `/` (`"/products"`, `"GET /products/{id}"`): that path
 * alone, so `/products/` is another path, which no pattern serves but a subtree or the catch-all
 * `"/"` (Go 1.22 net/http and before; the route check names a catch-all where there is one).
 */
export const SERVEMUX_EXACT_PATH: TrailingSlashRule = {
  router: "Go's ServeMux",
  removed: { kind: 'not-found', because: 'a pattern without a trailing / matches that path alone' },
};

/**
 * A router mounted with `mux.Handle("/api/", http.StripPrefix("/api", r))`: its "/" is reached at
 * `/api/` (stripped to `/`); `/api` never reaches it, since the pattern is a subtree and ServeMux
 * answers its root without the slash with a 301 to `/api/` (Go 1.19, checked against a built service).
 */
export function serveMuxMountRoot(pattern: string): TrailingSlashRule {
  return {
    router: "Go's ServeMux",
    added: { kind: 'redirect', status: 301, because: `the router is mounted at the subtree pattern ${JSON.stringify(pattern)}, which ServeMux reaches from ${pattern} on` },
  };
}

/**
 * A gorilla/mux subtree, `r.PathPrefix("/static/").Handler(h)`: the paths that begin with
 * `/static/`; `/static` does not, and gets a 404 with StrictSlash(true) too (gorilla applies it to
 * Path templates, not to prefixes; seen with gorilla/mux 1.8).
 */
export const GORILLA_PREFIX_ROOT: TrailingSlashRule = {
  router: 'gorilla/mux',
  added: { kind: 'not-found', because: 'a PathPrefix matches only the paths that begin with it, StrictSlash or not' },
};

/** A chi Mount whose pattern ends in `/` (`r.Mount("/static/", h)`): chi routes `/static/*` alone, so `/static` gets a 404. */
export const CHI_MOUNT_ROOT: TrailingSlashRule = {
  router: 'chi',
  added: { kind: 'not-found', because: 'a Mount pattern ending in / matches only the paths below it' },
};

/** A chi route ending in `/*` (`r.Get("/files/*", h)`): `/files/` and below; `/files` is a 404, which StripSlashes and RedirectSlashes (they remove a slash) do not change. */
export const CHI_WILDCARD_ROOT: TrailingSlashRule = {
  router: 'chi',
  added: { kind: 'not-found', because: 'a pattern ending in /* matches only the paths below it' },
};
