/**
 * npm run asterisk:dialplan > /etc/asterisk/extensions.conf
 * Generates the dialplan from the province's IVR settings (the database: DATABASE_URL or the
 * embedded one) and ASTERISK_AGENT_DIAL, so the menus run inside Asterisk. Run it again, and
 * `dialplan reload`, whenever the IVR settings or languages change: until then the service sees
 * a different fingerprint and drives the menus itself (logged once).
 * `-- --defaults`: the bundled province file with the default settings, without a database
 * (how deploy/asterisk/extensions.conf is made for Qinghai).
 */
import { generateDialplan } from '../telephony/asterisk/dialplan-generator';
import { provinceIvr } from './province-ivr';

async function run(): Promise<void> {
  const { languages, ivr, agentDial } = await provinceIvr(process.argv, process.env);
  process.stdout.write(generateDialplan({ languages, ivr, agentDial }));
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
