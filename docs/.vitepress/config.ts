import { defineConfig } from 'vitepress';

const guide = [
  {
    text: 'Introduction',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Coming from the Stigg SDK', link: '/guide/coming-from-the-sdk' },
    ],
  },
  {
    text: 'Guards',
    items: [
      { text: 'Express', link: '/guide/express' },
      { text: 'Hono', link: '/guide/hono' },
      { text: 'Fastify', link: '/guide/fastify' },
      { text: 'tRPC', link: '/guide/trpc' },
      { text: 'NestJS', link: '/guide/nest' },
      { text: 'The denial contract', link: '/guide/denials' },
    ],
  },
  {
    text: 'Core',
    items: [
      { text: 'The core client', link: '/guide/core' },
      { text: 'Metered usage', link: '/guide/usage' },
      { text: 'A fleet with Redis', link: '/guide/fleet' },
      { text: 'OpenTelemetry', link: '/guide/opentelemetry' },
    ],
  },
  {
    text: 'Tools',
    items: [
      { text: 'stigg-local', link: '/guide/stigg-local' },
      { text: 'Importing into Stigg', link: '/guide/import' },
    ],
  },
  {
    text: 'Project',
    items: [
      { text: 'Development', link: '/guide/development' },
      { text: 'API reference', link: '/api/' },
    ],
  },
];

export default defineConfig({
  title: 'Tollgate',
  description: 'Stigg entitlements in front of any Node API: one core, thin guards, a local Stigg, a bulk importer.',
  cleanUrls: true,
  lastUpdated: false,
  // The local search index holds the whole API reference.
  vite: { build: { chunkSizeWarningLimit: 2048 } },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: { '/guide/': guide, '/api/': guide },
    socialLinks: [{ icon: 'github', link: 'https://github.com/tollgate-dev/tollgate' }],
    search: { provider: 'local' },
    outline: [2, 3],
  },
});
