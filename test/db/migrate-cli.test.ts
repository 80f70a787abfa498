import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('npm run migrate', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-migrate-'));
  });
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

  const migrate = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts', ...args], {
      cwd: path.join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    });

  it('applies the migrations, undoes them, and says when there is nothing to do', async () => {
    expect((await migrate()).stdout).toMatch(/^Up 0001_initial\nUp 0002_call_flow\nUp 0003_referrals\nUp 0004_account_security\nUp 0005_durable_records\nUp 0006_missed_call_callbacks\nUp 0007_callback_dial_outcomes\nUp 0008_voice_messages\nUp 0009_forward_failed_callbacks\nUp 0010_remote_seats\nUp 0011_ticket_types\nUp 0012_follow_ups_quality\nUp 0013_rosters\nUp 0014_knowledge_base\nUp 0015_knowledge_shipped_keys$/m);
    expect((await migrate('latest')).stdout).toMatch(/nothing to do/);
    expect((await migrate('down')).stdout).toMatch(/^Down 0015_knowledge_shipped_keys$/m);
    expect((await migrate('empty')).stdout).toMatch(/^Down 0001_initial$/m);
    expect((await migrate('empty')).stdout).toMatch(/nothing to do/);
    // Five CLI processes, each starting TypeScript and the embedded database: slow on a busy CI machine.
  }, 90_000);

  it('refuses an unknown command with exit code 1', async () => {
    await expect(migrate('sideways')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown command "sideways": use latest, down or empty/) });
  });
});
