/**
 * npm run asterisk:agents > /etc/asterisk/pjsip_agents.conf
 * Prints the pjsip.conf blocks for every enabled account (ASTERISK_SIP_SECRET must be the
 * service's), so each agent's browser softphone can register; `#include pjsip_agents.conf`
 * from pjsip.conf and reload after adding agents. Uses DATABASE_URL or the embedded database.
 */
import { parseConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { pjsipAgentBlocks } from '../telephony/asterisk/pjsip-agents';

async function run(): Promise<void> {
  const config = parseConfig(process.env);
  const secret = config.asterisk?.webrtc?.sipSecret ?? process.env.ASTERISK_SIP_SECRET;
  if (!secret) throw new Error('ASTERISK_SIP_SECRET: is required (the same value the service runs with)');
  const handle = await openDatabase(config.database);
  try {
    const rows = await handle.db.selectFrom('agents').select('username').where('disabled', '=', false).orderBy('username').execute();
    process.stdout.write(pjsipAgentBlocks(rows.map((r) => r.username), secret));
  } finally {
    await handle.close();
  }
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
