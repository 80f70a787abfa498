/**
 * npm run asterisk:dialplan > /etc/asterisk/extensions.conf
 * Generates the dialplan from the province's IVR settings (the database: DATABASE_URL or the
 * embedded one) and ASTERISK_AGENT_DIAL, so the menus run inside Asterisk. Run it again, and
 * `dialplan reload`, whenever the IVR settings or languages change: until then the service sees
 * a different fingerprint and drives the menus itself (logged once).
 * `-- --defaults`: the bundled province file with the default settings, without a database
 * (how deploy/asterisk/extensions.conf is made for Qinghai).
 */
import { z } from 'zod';
import { parseConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { bundledLanguages } from '../province/bundled';
import { generateDialplan } from '../telephony/asterisk/dialplan-generator';
import { DEFAULT_IVR, ivrSettings } from '../telephony/ivr';

async function run(): Promise<void> {
  if (process.argv.includes('--defaults')) {
    const agentDial = process.env.ASTERISK_AGENT_DIAL ?? 'PJSIP/{agent}';
    process.stdout.write(generateDialplan({ languages: await bundledLanguages(), ivr: DEFAULT_IVR, agentDial }));
    return;
  }
  const config = parseConfig(process.env);
  const agentDial = config.asterisk?.agentDial ?? process.env.ASTERISK_AGENT_DIAL ?? 'PJSIP/{agent}';
  const handle = await openDatabase(config.database);
  try {
    const row = await handle.db.selectFrom('provinces').select(['settings', 'languages']).where('code', '=', config.province).executeTakeFirst();
    if (!row) throw new Error(`province ${config.province} is not in the database: start the service once or run npm run import-province`);
    const ivr = ivrSettings(z.record(z.string(), z.unknown()).parse(row.settings), config.province);
    process.stdout.write(generateDialplan({ languages: row.languages, ivr, agentDial }));
  } finally {
    await handle.close();
  }
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
