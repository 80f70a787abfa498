/**
 * Suites that need a real server are named *.pg.test.ts (DATABASE_URL) and *.redis.test.ts
 * (REDIS_URL). Without the variable they are left out, and test/support/global-setup.js says so;
 * under CI=true a missing variable fails the run instead.
 */
const leftOut = [];
if (!process.env.DATABASE_URL) leftOut.push('\\.pg\\.test\\.ts$');
if (!process.env.REDIS_URL) leftOut.push('\\.redis\\.test\\.ts$');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...leftOut],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    // Node >= 20.19 loads these ESM-only dependencies with require(); Jest's module runtime
    // cannot before Node 24.9, so under Jest alone they are compiled to CommonJS.
    '/node_modules/(cookie|content-disposition)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  maxWorkers: 2,
  testTimeout: 30_000,
};
