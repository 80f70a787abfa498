import { Redis } from 'ioredis';
import { RedisProcess } from '../test/support/redis-process';
(async () => {
  const rp = await RedisProcess.start();
  const r = new Redis(rp.url); r.on('error', () => {});
  await r.set('k', 'v');
  await rp.kill();
  await rp.up();
  const r2 = new Redis(rp.url);
  console.log('after restart k =', await r2.get('k'), 'keys', await r2.keys('*'));
  await new Promise((res) => setTimeout(res, 1500));
  console.log('after reconnect of old client k =', await r2.get('k'));
  r.disconnect(); r2.disconnect(); await rp.stop(); process.exit(0);
})();
