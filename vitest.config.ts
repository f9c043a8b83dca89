import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // type-graphql and typegoose read TypeScript's legacy decorator metadata.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  resolve: {
    // One graphql module copy: two copies make "Cannot use GraphQLSchema from another module" errors.
    alias: { graphql: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    reporters: ['default', './test/setup/plain-summary-reporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
