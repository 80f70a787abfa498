/* Says which suites this run leaves out for lack of a server, and refuses to leave any out in CI. */
const fs = require('node:fs');
const path = require('node:path');

function find(dir, suffix) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return find(p, suffix);
    return e.name.endsWith(suffix) ? [path.relative(process.cwd(), p)] : [];
  });
}

module.exports = async function globalSetup() {
  const root = path.join(__dirname, '..');
  const missing = [
    ['DATABASE_URL', '.pg.test.ts', 'PostgreSQL'],
    ['REDIS_URL', '.redis.test.ts', 'Redis'],
  ].filter(([variable]) => !process.env[variable]);
  if (missing.length === 0) return;
  if (process.env.CI === 'true') {
    throw new Error(`CI must run every suite: set ${missing.map(([v]) => v).join(' and ')}`);
  }
  const lines = missing.map(([variable, suffix, server]) => {
    const files = find(root, suffix);
    return `  ${variable} is not set, so ${files.length} ${server} suite(s) were left out:\n${files.map((f) => `    - ${f}`).join('\n')}`;
  });
  process.stdout.write(
    `\n${lines.join('\n')}\n  (the data-layer and routing contract suites still run on PGlite and the in-process store;\n` +
      `   readiness through a cut connection and the multi-process routing proof need the real servers)\n\n`,
  );
};
