// Which names a Go file uses for client_golang's packages. Detection keys on the file's own
// import declarations, so `import prom ".../prometheus"` works and a local variable named
// `prometheus` in a file that does not import it is not mistaken for the package.

import type { GoNode } from './go-parser.ts';
import { significantChildren } from './go-syntax.ts';
import { decodeGoString } from './go-strings.ts';

const CLIENT_GOLANG = 'github.com/prometheus/client_golang/prometheus';

export type ClientGolangPackage = 'prometheus' | 'promauto' | 'promhttp' | 'collectors';

const PACKAGES: ReadonlyMap<string, ClientGolangPackage> = new Map([
  [CLIENT_GOLANG, 'prometheus'],
  [`${CLIENT_GOLANG}/promauto`, 'promauto'],
  [`${CLIENT_GOLANG}/promhttp`, 'promhttp'],
  [`${CLIENT_GOLANG}/collectors`, 'collectors'],
]);

export interface GoImports {
  /** Local package name (the alias, or the package's own name) to package. */
  byName: Map<string, ClientGolangPackage>;
  /** Packages imported with `import . "..."`, whose exports are used unqualified. */
  dotted: Set<ClientGolangPackage>;
}

export function collectImports(root: GoNode): GoImports {
  const imports: GoImports = { byName: new Map(), dotted: new Set() };
  for (const decl of significantChildren(root)) {
    if (decl.type !== 'import_declaration') continue;
    for (const spec of importSpecs(decl)) addSpec(imports, spec);
  }
  return imports;
}

export function importsAny(imports: GoImports): boolean {
  return imports.byName.size > 0 || imports.dotted.size > 0;
}

/** The import specs of one import declaration (one, or a parenthesized list). */
export function importSpecs(decl: GoNode): GoNode[] {
  const specs: GoNode[] = [];
  for (const child of significantChildren(decl)) {
    if (child.type === 'import_spec') specs.push(child);
    else if (child.type === 'import_spec_list') specs.push(...significantChildren(child).filter((c) => c.type === 'import_spec'));
  }
  return specs;
}

/**
 * The name this file uses for the package at `path`: its alias, else the path's last element
 * (`net/http` -> `http`). Undefined when the file does not import it, or imports it as `_` (binds
 * nothing) or `.` (its exports are unqualified): neither gives a name to read calls by.
 */
export function importedName(root: GoNode, path: string): string | undefined {
  for (const decl of significantChildren(root)) {
    if (decl.type !== 'import_declaration') continue;
    for (const spec of importSpecs(decl)) {
      const pathNode = spec.childForFieldName('path');
      if (!pathNode || decodeGoString(pathNode) !== path) continue;
      const alias = spec.childForFieldName('name');
      if (!alias) return path.slice(path.lastIndexOf('/') + 1);
      return alias.type === 'package_identifier' ? alias.text : undefined;
    }
  }
  return undefined;
}

function addSpec(imports: GoImports, spec: GoNode): void {
  const pathNode = spec.childForFieldName('path');
  const path = pathNode ? decodeGoString(pathNode) : undefined;
  const pkg = path === undefined ? undefined : PACKAGES.get(path);
  if (pkg === undefined) return;
  const alias = spec.childForFieldName('name');
  if (!alias) imports.byName.set(pkg, pkg);
  else if (alias.type === 'dot') imports.dotted.add(pkg);
  else if (alias.type === 'package_identifier') imports.byName.set(alias.text, pkg);
  // `_` imports run the package's init and bind nothing.
}
