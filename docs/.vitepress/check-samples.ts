/**
 * `npm run docs:check`: every TypeScript sample (```ts blocks) of the docs, the README and the packages' READMEs
 * type-checks against the workspace packages. Each block becomes a module of its own in a scratch directory, with
 * samples.d.ts declaring what the samples take from the reader's application; errors are reported at the line of
 * the Markdown file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const scratch = join(root, 'node_modules/.cache/tollgate-docs-samples');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'api' || entry.name.startsWith('.') ? [] : markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const files = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'README.md')),
  ...markdownFiles(join(root, 'docs')),
].filter((f) => {
  try {
    readFileSync(f);
    return true;
  } catch {
    return false;
  }
});

interface Sample {
  file: string;
  line: number;
}
const samples = new Map<string, Sample>();
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const HEADER_LINES = 1;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const fence = /^```(?:ts|typescript)\b[^\n]*\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const line = text.slice(0, m.index).split('\n').length + 1; // the first line of code
    const name = `${relative(root, file).replace(/[^A-Za-z0-9]+/g, '_')}_L${line}.ts`;
    writeFileSync(join(scratch, name), `// ${relative(root, file)}:${line}\n${m[1]}\nexport {};\n`);
    samples.set(name, { file: relative(root, file), line });
  }
}

writeFileSync(
  join(scratch, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: relative(scratch, join(root, 'tsconfig.base.json')),
      compilerOptions: { noEmit: true, verbatimModuleSyntax: false, declaration: false, sourceMap: false },
      files: [...samples.keys(), relative(scratch, join(root, 'docs/.vitepress/samples.d.ts'))],
    },
    null,
    2,
  ),
);

const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', scratch, '--pretty', 'false'], { encoding: 'utf8' });
const errors: string[] = [];
for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n').filter(Boolean)) {
  const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
  const sample = m && samples.get(m[1]!.split('/').pop()!);
  if (m && sample && !m[1]!.includes('/packages/')) {
    errors.push(`${sample.file}:${sample.line + Number(m[2]) - 1 - HEADER_LINES}:${m[3]}: ${m[4]}`);
  } else {
    errors.push(line);
  }
}
if (tsc.status !== 0 || errors.length) {
  console.error(`docs:check: ${errors.length} error(s) in the TypeScript samples\n${errors.join('\n')}`);
  process.exit(1);
}
console.log(`docs:check: ${samples.size} TypeScript samples from ${files.length} Markdown files type-check`);
