/**
 * The module specifiers each TypeScript file imports, read from its syntax tree (the TypeScript compiler's parser)
 * rather than by regular expression, so comments and strings never count and no import form is missed: static
 * `import ... from`, `import '...'`, `export ... from` (including `export * as name from`), `import x = require()`,
 * dynamic `import('...')` and type-only `import('...').Type`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface ImportReference {
  /** The file, relative to the repository root, with forward slashes. */
  file: string;
  line: number;
  specifier: string;
  /** `import type`, `export type` or `import('...').Type`: erased at compile time, nothing loads at run time. */
  typeOnly: boolean;
}

export function importsOf(file: string, source: string): ImportReference[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  const found: ImportReference[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined, typeOnly: boolean) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    found.push({
      file,
      line: tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1,
      specifier: literal.text,
      typeOnly,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node))
      add(node, node.moduleSpecifier, node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword);
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression, node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node, node.arguments[0], false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, true);
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

/** Every `.ts` and `.tsx` file under `directory` (relative to `root`), skipping dependencies and build output. */
export function typeScriptFilesUnder(root: string, directory: string): string[] {
  const files: string[] = [];
  const walk = (absolute: string) => {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(absolute, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') || entry.name.endsWith('.tsx'))
        files.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(join(root, directory));
  return files.sort();
}

export function readImports(root: string, files: string[]): ImportReference[] {
  return files.flatMap((file) => importsOf(file, readFileSync(join(root, file), 'utf8')));
}
