/**
 * Suites that need a real server are named *.pg.test.ts (DATABASE_URL) and *.redis.test.ts
 * (REDIS_URL); fault suites (*.faults.test.ts) need both, and redis-server on the PATH; browser suites (*.browser.test.ts) need Chromium at CHROMIUM_PATH
 * (/usr/bin/chromium); image and compose suites (*.docker.test.ts) need Docker (HOTLINE_DOCKER=1);
 * voice suites (*.voice.test.ts) need espeak-ng and sox on the PATH.
 * Without them they are left out, and test/support/global-setup.js says so; under CI=true a
 * missing server or browser fails the run instead (Docker may be missing: CI prints why).
 */
const fs = require('node:fs');
const path = require('node:path');
const onPath = (tool) => (process.env.PATH || '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, tool)));
const leftOut = [];
if (!fs.existsSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium')) leftOut.push('\\.browser\\.test\\.ts$');
if (!process.env.DATABASE_URL) leftOut.push('\\.pg\\.test\\.ts$');
if (!process.env.REDIS_URL) leftOut.push('\\.redis\\.test\\.ts$');
// Fault tests run several nodes on PostgreSQL and start redis-server processes of their own.
if (!process.env.DATABASE_URL || !process.env.REDIS_URL) leftOut.push('\\.faults\\.test\\.ts$');
// The image and compose suites need a Docker daemon; .ci/run starts one where it can and sets
// HOTLINE_DOCKER=1 (or HOTLINE_DOCKER_UNAVAILABLE to the reason it could not).
if (process.env.HOTLINE_DOCKER !== '1') leftOut.push('\\.docker\\.test\\.ts$');
// The generated prompt voice needs Debian's espeak-ng and sox.
if (!onPath('espeak-ng') || !onPath('sox')) leftOut.push('\\.voice\\.test\\.ts$');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...leftOut],
  transform: {
    // Type-checking is `tsc`'s job (npm test runs it first); Jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  maxWorkers: 2,
  // A test or hook that starts services or browsers can take long on a loaded 2-core machine.
  testTimeout: 120_000,
};
