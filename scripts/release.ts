/**
 * `npm run release`: a release, as a dry run unless `--publish` is given.
 *   1. `changeset status`: the versions the pending changesets (.changeset/*.md) would release.
 *   2. `npm publish --dry-run` for every public package: `prepack` builds it, npm lists the tarball's files.
 * `npm run release -- --publish` (CI, with an npm token): `changeset publish` publishes every package whose version is
 * not on the registry yet, and tags it. Versions and changelogs come first, from `npx changeset version`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const PACKAGES = ['core', 'express', 'hono', 'nest', 'cli', 'stigg-local'];
const publish = process.argv.includes('--publish');

function npx(args: string[], what: string): void {
  console.log(`\n$ ${args.join(' ')}`);
  const r = spawnSync(args[0]!, args.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`release: ${what} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

npx(['npx', 'changeset', 'status', '--verbose'], 'changeset status');

if (publish) {
  npx(['npx', 'changeset', 'publish'], 'changeset publish');
} else {
  for (const dir of PACKAGES) {
    const { name, version } = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8')) as {
      name: string;
      version: string;
    };
    console.log(`\n── ${name}@${version}`);
    npx(['npm', 'publish', '--dry-run', '--workspace', `packages/${dir}`], `npm publish --dry-run ${name}`);
  }
  console.log('\nrelease: dry run done, nothing published (`npm run release -- --publish` publishes).');
}
