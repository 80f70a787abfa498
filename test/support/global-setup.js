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

const onPath = (tool) => (process.env.PATH || '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, tool)));

module.exports = async function globalSetup() {
  const root = path.join(__dirname, '..');
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  const missing = [
    ['DATABASE_URL', '.pg.test.ts', 'PostgreSQL', !process.env.DATABASE_URL],
    ['REDIS_URL', '.redis.test.ts', 'Redis', !process.env.REDIS_URL],
    [['DATABASE_URL', 'REDIS_URL'].filter((v) => !process.env[v]).join(' and '), '.faults.test.ts', 'fault', !process.env.DATABASE_URL || !process.env.REDIS_URL],
    ['CHROMIUM_PATH', '.browser.test.ts', 'browser', !fs.existsSync(chromium)],
    ['TTS', '.voice.test.ts', 'prompt voice', !onPath('espeak-ng') || !onPath('sox')],
  ].filter(([, , , absent]) => absent);
  if (process.env.HOTLINE_DOCKER !== '1') {
    // Not every machine can run a Docker daemon; CI says why, and runs everything else.
    const why = process.env.HOTLINE_DOCKER_UNAVAILABLE || 'HOTLINE_DOCKER is not 1 (.ci/run sets it when a Docker daemon runs)';
    const files = find(root, '.docker.test.ts');
    process.stdout.write(`\n  Docker: ${why}, so ${files.length} image/compose suite(s) were left out:\n${files.map((f) => `    - ${f}`).join('\n')}\n`);
  }
  if (missing.length === 0) return;
  if (process.env.CI === 'true') {
    throw new Error(`CI must run every suite: missing ${missing.map(([v]) => (v === 'CHROMIUM_PATH' ? `Chromium at ${chromium}` : v === 'TTS' ? 'espeak-ng and sox' : v)).join(', ')}`);
  }
  const lines = missing.map(([variable, suffix, server]) => {
    const files = find(root, suffix);
    const why =
      variable === 'CHROMIUM_PATH'
        ? `there is no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`
        : variable === 'TTS'
          ? 'espeak-ng and sox are not on the PATH (apt-get install espeak-ng sox)'
          : `${variable} ${variable.includes(' and ') ? 'are' : 'is'} not set`;
    return `  ${why}, so ${files.length} ${server} suite(s) were left out:\n${files.map((f) => `    - ${f}`).join('\n')}`;
  });
  process.stdout.write(
    `\n${lines.join('\n')}\n  (the data-layer and routing contract suites still run on PGlite and the in-process store;\n` +
      `   readiness through a cut connection and the multi-process routing proof need the real servers)\n\n`,
  );
};
