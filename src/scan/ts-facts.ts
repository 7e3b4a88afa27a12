// One walk over a file's AST that sorts out the few node kinds the detectors read, so every
// later step is a loop over a short list instead of another pass over the whole tree.

import type * as t from '@babel/types';
import { forEachNode } from './ts-ast.ts';

export interface FileFacts {
  imports: (t.ImportDeclaration | t.TSImportEqualsDeclaration)[];
  /** Every declarator, with the kind (`const`, `let`, ...) of its declaration. */
  declarators: { kind: string; node: t.VariableDeclarator }[];
  enums: t.TSEnumDeclaration[];
  constructions: t.NewExpression[];
  calls: t.CallExpression[];
}

export function collectFacts(ast: t.File): FileFacts {
  const facts: FileFacts = { imports: [], declarators: [], enums: [], constructions: [], calls: [] };
  forEachNode(ast.program, (node) => {
    switch (node.type) {
      case 'ImportDeclaration':
      case 'TSImportEqualsDeclaration':
        facts.imports.push(node);
        break;
      case 'VariableDeclaration':
        for (const declarator of node.declarations) facts.declarators.push({ kind: node.kind, node: declarator });
        break;
      case 'TSEnumDeclaration':
        facts.enums.push(node);
        break;
      case 'NewExpression':
        facts.constructions.push(node);
        break;
      case 'CallExpression':
        facts.calls.push(node);
        break;
    }
  });
  return facts;
}
