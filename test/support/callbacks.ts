import { randomUUID } from 'node:crypto';
import type { TestApp } from './app';

/** A callback (an agent's request, Xining, Mandarin, labour) due now for `number`; the callback clock queues its attempt. */
export async function bookedCallback(t: TestApp, number: string): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await t.app.db
    .insertInto('callbacks')
    .values({ id, province_code: t.app.province.code, reason: 'agent_request', caller_number: number, region_code: '630100', language: 'zh', topic: 'labour', priority: 0, status: 'pending', max_attempts: 2, due_at: now, next_attempt_at: now })
    .execute();
  await t.app.callbacks.pass();
  return id;
}
