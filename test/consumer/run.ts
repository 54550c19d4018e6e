/**
 * `npm run test:consumer`: Tollgate as a user installs it. Packs every package (`npm pack`, so `prepack` builds
 * it), lints the tarballs (publint, arethetypeswrong), installs them into fresh projects in a temporary directory
 * outside the repository and runs them against stigg-local:
 *   node    an ESM app (app.mjs) and a CommonJS app (app.cjs), each with its own stigg-local started from the
 *           packed @tollgate/stigg-local; a TypeScript project compiled with `nodenext` (ESM and .cts) and
 *           type-checked with `bundler`
 *   nest12  a Nest 12 app (ESM, `nodenext`)
 *   nest10  a Nest 10 app (CommonJS, `moduleResolution: node`)
 * The TypeScript projects and the Nest apps run against one `tollgate local` from the packed CLI. Installs share
 * the npm cache and run in parallel with the linters. TOLLGATE_CONSUMER_KEEP=1 keeps the temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const apps = join(repo, 'test/consumer/apps');
const PACKAGES = ['core', 'express', 'hono', 'fastify', 'trpc', 'nest', 'cli', 'stigg-local'] as const;
const bin = (name: string) => join(repo, 'node_modules/.bin', name);

interface Result {
  label: string;
  code: number | null;
  output: string;
  ms: number;
}

/** Runs a command to its end, its output (stdout and stderr, interleaved) captured. */
function run(
  label: string,
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Result> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(timed out after ${(options.timeoutMs ?? 180_000) / 1000} s)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ label, code, output, ms: Date.now() - started });
    });
  });
}

/** Runs the steps one after the other, stopping at the first failure. */
async function sequence(
  label: string,
  steps: [string, string[]][],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Result> {
  const started = Date.now();
  let output = '';
  for (const [cmd, args] of steps) {
    const r = await run(label, cmd, args, options);
    output += `$ ${[cmd.replace(/.*node_modules\/\.bin\//, ''), ...args].join(' ')}\n${r.output}`;
    if (r.code !== 0) return { label, code: r.code, output, ms: Date.now() - started };
  }
  return { label, code: 0, output, ms: Date.now() - started };
}

const failures: string[] = [];
function report(r: Result): void {
  const ok = r.code === 0;
  console.log(`\n── ${r.label}: ${ok ? 'ok' : `FAILED (exit ${r.code})`} in ${(r.ms / 1000).toFixed(1)} s`);
  const text = r.output.trim();
  if (text) console.log(text.replace(/^/gm, '   '));
  if (!ok) failures.push(r.label);
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const started = Date.now();
const work = await mkdtemp(join(tmpdir(), 'tollgate-consumer-'));
console.log(`consumer test in ${work}`);
let stigg: ChildProcess | undefined;

try {
  // 1. Pack (prepack builds each package)
  const packs = join(work, 'packs');
  await mkdir(packs);
  const packed = await run(
    'npm pack',
    'npm',
    ['pack', '--json', '--pack-destination', packs, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])],
    { cwd: repo, timeoutMs: 300_000 },
  );
  if (packed.code !== 0) {
    report(packed);
    throw new Error('npm pack failed');
  }
  const json = packed.output.slice(packed.output.search(/^\[/m));
  const manifests = JSON.parse(json.slice(0, json.lastIndexOf(']') + 1)) as {
    name: string;
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
    files: { path: string }[];
  }[];
  const tarball = Object.fromEntries(manifests.map((m) => [m.name, join(packs, m.filename)]));
  console.log(`\n── npm pack: ${PACKAGES.length} packages in ${(packed.ms / 1000).toFixed(1)} s`);
  console.log('   package                  tarball   unpacked  files');
  for (const m of manifests) {
    console.log(
      `   ${m.name.padEnd(24)} ${kb(m.size).padStart(9)} ${kb(m.unpackedSize).padStart(10)} ${String(m.entryCount).padStart(6)}`,
    );
    const stray = m.files
      .map((f) => f.path)
      .filter((p) => p.startsWith('src/') || p.endsWith('.map') || p === 'dist/bin.cjs');
    if (stray.length) failures.push(`${m.name} ships ${stray.join(', ')}`);
    for (const required of ['LICENSE', 'README.md', 'package.json']) {
      if (!m.files.some((f) => f.path === required)) failures.push(`${m.name} lacks ${required}`);
    }
  }

  // 2-5 run side by side: the linters on the tarballs; each project's install then its apps. stigg-local (from the
  // packed CLI) starts once the first project is installed; the output is printed in a fixed order at the end.
  const lints = Promise.all(
    manifests.flatMap((m) => [
      run(`publint ${m.name}`, bin('publint'), ['--strict', tarball[m.name]!], { cwd: work }),
      run(`attw ${m.name}`, bin('attw'), ['--format', 'ascii', tarball[m.name]!], { cwd: work }),
    ]),
  );
  for (const p of PACKAGES) {
    const manifest = JSON.parse(await readFile(join(repo, `packages/${p}/package.json`), 'utf8')) as {
      exports: object;
    };
    if (/"source"/.test(JSON.stringify(manifest.exports)))
      failures.push(`${p}: an unscoped "source" condition in exports`);
  }

  // Fresh projects, installed in parallel from the tarballs (one npm cache)
  const tgz = (...names: string[]) => Object.fromEntries(names.map((n) => [n, `file:${tarball[n]}`]));
  const core = ['@tollgate/core', '@tollgate/cli', '@tollgate/stigg-local'];
  const typescript = { typescript: '~5.9.3', '@types/node': '^20.19.0' };
  const nestApp = (major: number) => ({
    ...tgz(...core, '@tollgate/nest'),
    '@nestjs/common': `^${major}.0.0`,
    '@nestjs/core': `^${major}.0.0`,
    '@nestjs/platform-express': `^${major}.0.0`,
    'reflect-metadata': '^0.2.0',
    rxjs: '^7.8.0',
    ...typescript,
  });
  const install = async (
    name: string,
    type: string,
    dependencies: Record<string, string>,
    files: [string, string][],
  ) => {
    const dir = join(work, name);
    await mkdir(dir);
    for (const [from, to] of files) await cp(join(apps, from), join(dir, to), { recursive: true });
    await writeFile(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: `consumer-${name}`, private: true, type, dependencies }, null, 2)}\n`,
    );
    const r = await run(
      `install ${name}`,
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
      { cwd: dir, timeoutMs: 300_000 },
    );
    if (r.code !== 0) throw Object.assign(new Error(`install ${name} failed`), { result: r });
    return { dir, result: r };
  };
  const settled = (label: string, p: Promise<Result[]>) =>
    p.catch((err: Error & { result?: Result }) => [
      err.result ?? { label, code: 1, output: err.stack ?? String(err), ms: 0 },
    ]);

  const node = install(
    'node',
    'module',
    {
      ...tgz(...core, '@tollgate/express', '@tollgate/hono', '@tollgate/fastify'),
      express: '^5.1.0',
      fastify: '^5.0.0',
      hono: '^4.9.0',
      '@hono/node-server': '^1.19.0',
      '@types/express': '^5.0.0',
      ...typescript,
    },
    [['node', '.']],
  );

  // stigg-local from the packed CLI
  const stiggUrl = node.then(
    ({ dir }) =>
      new Promise<string>((ok, fail) => {
        stigg = spawn(join(dir, 'node_modules/.bin/tollgate'), ['local', '--port', '0'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        stigg.stdout!.on('data', (d: Buffer) => {
          out += d;
          const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
          if (url) ok(url);
        });
        stigg.once('exit', (code) => fail(new Error(`tollgate local exited (${code}): ${out}`)));
      }),
  );
  stiggUrl.catch(() => {}); // reported by the runs that wait for it
  const tsc = (dir: string) => join(dir, 'node_modules/.bin/tsc');

  const nodeRuns = settled(
    'node',
    node.then(async ({ dir, result }) => {
      const env = { STIGG_URL: await stiggUrl };
      const runs = await Promise.all([
        run('ESM app (node app.mjs)', 'node', ['app.mjs'], { cwd: dir }),
        run('CommonJS app (node app.cjs)', 'node', ['app.cjs'], { cwd: dir }),
        sequence(
          'TypeScript nodenext (tsc, then run the ESM and .cts output)',
          [
            [tsc(dir), ['-p', 'tsconfig.nodenext.json']],
            ['node', ['dist/nodenext.js']],
            ['node', ['dist/cjs.cjs']],
          ],
          { cwd: dir, env },
        ),
        sequence('TypeScript bundler (tsc --noEmit)', [[tsc(dir), ['-p', 'tsconfig.bundler.json']]], { cwd: dir }),
      ]);
      return [result, ...runs];
    }),
  );

  const nest = (major: 10 | 12, label: string, customer: string, module: string) =>
    settled(
      label,
      install(`nest${major}`, module, nestApp(major), [
        ['nest/src', 'src'],
        [`nest/tsconfig.nest${major}.json`, 'tsconfig.json'],
      ]).then(async ({ dir, result }) => {
        const env = { STIGG_URL: await stiggUrl, CUSTOMER: customer, LABEL: `nest${major}` };
        const app = await sequence(
          label,
          [
            [tsc(dir), ['-p', 'tsconfig.json']],
            ['node', ['dist/main.js']],
          ],
          { cwd: dir, env },
        );
        const version = (
          JSON.parse(await readFile(join(dir, 'node_modules/@nestjs/core/package.json'), 'utf8')) as { version: string }
        ).version;
        app.output += `(@nestjs/core ${version})\n`;
        return [result, app];
      }),
    );

  const results = await Promise.all([
    lints,
    nodeRuns,
    nest(12, 'Nest 12 (ESM, nodenext)', 'customer-enterprise', 'module'),
    nest(10, 'Nest 10 (CommonJS, moduleResolution node)', 'customer-pro', 'commonjs'),
  ]);
  results.flat().forEach(report);
} catch (err) {
  failures.push((err as Error).message);
} finally {
  stigg?.kill('SIGTERM');
  if (process.env.TOLLGATE_CONSUMER_KEEP === '1') console.log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

console.log(
  `\nconsumer test: ${failures.length ? `FAILED: ${failures.join('; ')}` : 'ok'} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(failures.length ? 1 : 0);
