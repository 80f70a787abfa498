import { Redis } from 'ioredis';
import { RedisLiveStore } from '/work/main/src/queue/redis-store';
import { RedisProcess } from '/work/main/test/support/redis-process';
import { emptyTx } from '/work/main/src/queue/types';
(async () => {
  const rp = await RedisProcess.start();
  const r = new Redis(rp.url, { maxRetriesPerRequest: 2, retryStrategy: (a) => Math.min(a * 200, 2000) });
  r.on('error', () => {});
  const store = new RedisLiveStore(r, { provinceCode: '630000', namespace: 't' });
  store.onLost(() => console.log('LOST detected'));
  await store.start();
  const tx = emptyTx(); tx.expect['a:x'] = 0; tx.put['a:x'] = { id: 'x', v: 1 } as any;
  console.log('commit1', await store.commit(tx));
  await rp.kill();
  await new Promise((res) => setTimeout(res, 2000));
  await rp.up();
  await new Promise((res) => setTimeout(res, 3000));
  console.log('health', store.health, 'keys', await r.keys('*'));
  const tx2 = emptyTx(); tx2.expect['a:x'] = 1; tx2.put['a:x'] = { id: 'x', v: 2 } as any;
  try { console.log('commit2', await store.commit(tx2)); } catch (e) { console.log('commit2 threw', (e as Error).message); }
  await store.close(); r.disconnect(); await rp.stop();
})();
