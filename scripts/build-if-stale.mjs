// `npm start` runs this first: the TypeScript build is skipped when dist/ is newer than every
// source it is made from, so a start with nothing changed costs a directory walk, not a compile
// (tsc's own incremental check still reads every file: ~3 s here, far more on a loaded machine).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newest(p) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted or renamed file changes its directory
  for (const name of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, name)));
  return max;
}

const built = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changed = Math.max(...inputs.map((i) => newest(path.join(root, i))));
if (built > changed && fs.existsSync(path.join(root, 'dist', 'src', 'main.js'))) process.exit(0);

process.stdout.write('Compiling the service (TypeScript → dist/)…\n');
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
