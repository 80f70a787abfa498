import type { Config } from '../../src/config/config';
import { eventually } from '../support/tcp-proxy';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The whole call flow through the built-in simulator, on the real app: menus, queue, the agent
 * the router chose, the survey, and what is left in the database. Run on the in-process stores
 * here and on Redis in sim-flow.redis.test.ts.
 */
export function simFlowSuite(name: string, overrides: () => Partial<Config>) {
  describe(name, () => {
    let t: TestApp;
    let agentId: string;

    beforeAll(async () => {
      t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 }, ...overrides() });
      agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } })).id;
    });
    afterAll(async () => t.close());

    const place = async (body: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: body });
      expect(res.statusCode).toBe(201);
      return res.json().callId as string;
    };
    const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
    const until = async (probe: () => Promise<boolean>, what: string) => {
      if (!(await eventually(probe, 5_000, 10))) throw new Error(`timed out waiting for ${what}`);
    };

    async function signIn() {
      await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
      await t.app.router.setReady(agentId);
    }

    it('walks greeting → menus → queue → agent → survey, and leaves a call row, a ticket and the score', async () => {
      await signIn();
      // Xining mobile prefix; Tibetan (2), labour (1), elderly (1), Chengdong district (1), then a survey score of 4.
      const callId = await place({ from: '13519712345', digits: '21114' });
      await until(async () => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');

      const offer = t.app.router.store.state.agent(agentId)!;
      const live = t.app.router.liveCall(callId)!;
      expect(live).toMatchObject({ language: 'bo', topic: 'labour', regionCode: '630102', priority: 2 });
      expect((await t.app.router.accept(agentId, offer.offerId!)).ok).toBe(true);
      // The phone system reports the bridge (and with it the recording) just after the connect;
      // an agent who hung up before that would leave no recording, so the test waits for it.
      await until(async () => (await view(callId)).status === 'connected' && t.app.router.liveCall(callId)?.bridgedOnce === true, 'the bridge');
      expect((await view(callId)).agentUsername).toBe('agent.xining');

      await t.app.router.agentHangup(agentId, callId);
      await until(async () => (await view(callId)).status === 'ended', 'the survey');
      await t.app.callFlow.settled();
      await t.app.callRecorder.flush();

      const heard = (await view(callId)).heard.map((h: { key: string }) => h.key);
      // Hold announcements repeat while the caller waits (every 45 ms at this time scale, so a
      // busy machine may play one more): the order of what was heard is what counts.
      const firstHeard = heard.filter((k: string, i: number) => heard.indexOf(k) === i);
      expect(firstHeard).toEqual(['welcome', 'language_menu', 'topic_menu', 'priority_menu', 'region_menu', 'queued', 'survey', 'survey_thanks'].filter((k) => heard.includes(k)));
      // An agent was ready for the caller: never told the advisers are busy, nor offered a callback.
      expect(heard).not.toContain('no_estimate');
      expect(heard).not.toContain('callback_offer');
      expect(heard[0]).toBe('welcome');
      // Nothing between the hold and the agent: the survey follows the call.
      expect(heard.slice(-2)).toEqual(['survey', 'survey_thanks']);
      expect(heard).not.toContain('connecting');

      const row = await t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ driver: 'sim', status: 'ended', end_reason: 'answered', language: 'bo', topic: 'labour', priority_group: 'elderly', region_code: '630102', region_source: 'ivr', agent_id: agentId });
      expect(row.recording_url).toBe(`sim:recordings/${callId}`);
      const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
      expect(ticket.number).toMatch(/^QH-\d{8}-\d{6}$/);
      expect(ticket).toMatchObject({ survey_score: 4, agent_id: agentId, language: 'bo', topic: 'labour', caller_number: '13519712345' });
      const events = await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).orderBy('id').execute();
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['arrived', 'queued', 'offered', 'connected', 'bridged', 'recording', 'ended', 'survey']));

      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    it('repeats a menu after a wrong key, then takes the default', async () => {
      // Language: 7 (no such key) then timeout → Mandarin; topic: 0 (other); priority: 0 (none); region: timeout.
      const callId = await place({ from: '02188888888', digits: '7.00.' });
      await until(async () => (await view(callId)).status === 'queued', 'the queue');
      const v = await view(callId);
      const keys = v.heard.map((h: { key: string }) => h.key);
      expect(keys.slice(0, 4)).toEqual(['welcome', 'language_menu', 'invalid', 'language_menu']);
      const live = t.app.router.liveCall(callId)!;
      // A Shanghai number is outside the province: the whole province's seats.
      expect(live).toMatchObject({ language: 'zh', topic: 'other', priority: 0, regionCode: '630000' });
      await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    });

    it('records a caller who hangs up in the queue as abandoned, at once', async () => {
      const callId = await place({ from: '09718000000', digits: '1000' });
      await until(async () => (await view(callId)).status === 'queued', 'the queue');
      const res = await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
      expect(res.statusCode).toBe(200);
      expect(t.app.router.liveCall(callId)).toBeUndefined();
      await t.app.callRecorder.flush();
      const row = await t.app.db.selectFrom('calls').select(['status', 'end_reason', 'wait_ms']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'ended', end_reason: 'abandoned' });
      expect(row.wait_ms).not.toBeNull();
      // Hanging up twice is refused, and changes nothing.
      expect((await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` })).statusCode).toBe(409);
    });

    it('records a hang-up during the menus as abandoned without queueing', async () => {
      const callId = await place({ from: '09718000001', digits: '' });
      const res = await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
      expect(res.statusCode).toBe(200);
      const row = await t.app.db.selectFrom('calls').select(['status', 'end_reason', 'queued_at']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'ended', end_reason: 'abandoned', queued_at: null });
    });

    it('books a callback when the caller takes the offer', async () => {
      // Nobody who speaks Mongolian is signed in: no estimate, so the callback is offered.
      const callId = await place({ from: '09778000000', digits: '3000', acceptCallback: true });
      await until(async () => (await view(callId)).status === 'ended', 'the callback');
      const v = await view(callId);
      expect(v.outcome).toBe('callback');
      const heard = v.heard.map((h: { key: string }) => h.key);
      // Told at once that nobody speaks Mongolian now, then offered a callback or a message (not "all busy").
      expect(heard.slice(heard.indexOf('queued'), heard.indexOf('queued') + 3)).toEqual(['queued', 'no_speaker', 'no_speaker_offer']);
      expect(heard).not.toContain('no_estimate');
      expect(heard).toContain('callback_confirmed');
      await t.app.callRecorder.flush();
      const row = await t.app.db.selectFrom('calls').select(['end_reason', 'callback_id']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row.end_reason).toBe('callback');
      const callback = await t.app.db.selectFrom('callbacks').selectAll().where('id', '=', row.callback_id!).executeTakeFirstOrThrow();
      expect(callback).toMatchObject({ reason: 'caller_request', language: 'mn', origin_call_id: callId, caller_number: '09778000000' });
    });

    it('refuses bad input with a message naming the field, and keeps nothing', async () => {
      const before = await t.app.db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      for (const [payload, field] of [
        [{ from: 'not a number', digits: '1' }, 'body.from'],
        [{ from: '13800000000', digits: '1; DROP TABLE calls' }, 'body.digits'],
        [{ from: '13800000000', digits: '1'.repeat(33) }, 'body.digits'],
        [{ digits: '1' }, 'body.from'],
      ] as const) {
        const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toContain(field);
      }
      expect((await t.app.inject({ method: 'POST', url: '/sim/calls/not-a-uuid/hangup' })).statusCode).toBe(400);
      expect((await t.app.inject({ method: 'POST', url: '/sim/calls/00000000-0000-4000-8000-000000000000/hangup' })).statusCode).toBe(404);
      const after = await t.app.db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });
  });
}
