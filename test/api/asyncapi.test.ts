import { AgentSocket } from '../support/agent-socket';
import { startTestApp, type TestApp } from '../support/app';
import { AsyncApiFrames } from '../support/asyncapi-frames';
import { FrameSocket } from '../support/frame-socket';
import { BoardSocket } from '../supervisors/board-socket';

/**
 * /asyncapi.json: the agent desk and wallboard sockets described from the schemas the server
 * uses, checked against real frames of a desk and a board driven through a call.
 */
describe('/asyncapi.json', () => {
  let t: TestApp;
  let base: string;
  let spec: AsyncApiFrames;

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    spec = await AsyncApiFrames.load(t.app);
  });
  afterAll(async () => {
    for (const s of FrameSocket.opened) s.close();
    await t?.close();
  });

  describe('the document', () => {
    it('is public, AsyncAPI 3.0, with a channel per socket at the paths the app serves', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/asyncapi.json', headers: { host: 'hotline.example:8443' } });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.asyncapi).toBe('3.0.0');
      expect(doc.servers.hotline).toMatchObject({ host: 'hotline.example:8443', protocol: 'ws', security: [{ $ref: '#/components/securitySchemes/subprotocolToken' }, { $ref: '#/components/securitySchemes/queryToken' }] });
      // The pages send the token as a subprotocol; tools may put it in the query.
      expect(doc.components.securitySchemes.subprotocolToken).toMatchObject({ type: 'httpApiKey', in: 'header', name: 'Sec-WebSocket-Protocol' });
      expect(doc.components.securitySchemes.queryToken).toMatchObject({ type: 'httpApiKey', in: 'query', name: 'token' });
      expect(Object.values(doc.channels).map((c) => (c as { address: string }).address).sort()).toEqual(['/agents/ws', '/supervisors/ws']);
      for (const channel of Object.values(doc.channels) as { description: string; bindings: { ws: { query: { properties: Record<string, unknown>; required?: string[] } } } }[]) {
        expect(Object.keys(channel.bindings.ws.query.properties)).toEqual(['token']);
        expect(channel.bindings.ws.query.required ?? []).toEqual([]);
        expect(channel.description).toContain('bearer.<JWT>');
      }
    });

    it('tells how to sign in, who may, and what each close code means', () => {
      const { agentDesk, wallboard } = spec.doc.channels;
      expect(agentDesk.description).toMatch(/`\/agents\/ws` asking for the subprotocols `hotline.v1` and `bearer.<JWT>`/);
      expect(agentDesk.description).toMatch(/POST \/api\/auth\/login/);
      expect(agentDesk.description).toMatch(/Roles let in: agent, supervisor, admin\b/);
      expect(wallboard.description).toMatch(/Roles let in: supervisor, admin\b/);
      expect(agentDesk.description).toMatch(/HTTP 401.*403/);
      expect(Object.keys(agentDesk['x-close-codes']).sort()).toEqual(['1001', '1008', '1009', '4001', '4002', '4003']);
      expect(Object.keys(wallboard['x-close-codes']).sort()).toEqual(['1001', '1008', '1009', '4003']);
      expect(agentDesk.description).toMatch(/\| 4001 \| The agent signed in on another page/);
    });

    it('lists every frame type of both protocols, each with a description, in the right direction', () => {
      const names = (op: string) => (spec.doc.operations[op].messages as { $ref: string }[]).map((r) => r.$ref.split('/').pop());
      expect(spec.doc.operations.agentDeskFromClient.action).toBe('receive');
      expect(spec.doc.operations.agentDeskToClient.action).toBe('send');
      expect(names('agentDeskFromClient')).toEqual(expect.arrayContaining(['ping', 'stateSet', 'offerAccept', 'ticketSave', 'logout', 'callbackResult']));
      expect(names('agentDeskToClient')).toEqual(expect.arrayContaining(['hello', 'state', 'offer', 'callConnected', 'ticket', 'queueStats', 'ack', 'error', 'sessionReplaced', 'alert']));
      expect(names('wallboardFromClient')).toEqual(['ping', 'subscribe']);
      expect(names('wallboardToClient')).toEqual(['hello', 'board', 'alert', 'subscribed', 'pong', 'error']);
      for (const channel of Object.values(spec.doc.channels) as { messages: Record<string, { name: string; summary: string; payload: object }> }[]) {
        for (const m of Object.values(channel.messages)) {
          expect(m.summary.length).toBeGreaterThan(10);
          expect(m.payload).toBeTruthy();
        }
      }
    });

    it('is linked from the OpenAPI document that /docs shows, and is not a path in it', async () => {
      const openapi = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(openapi.info.description).toContain('[AsyncAPI document](/asyncapi.json)');
      expect(openapi.paths).not.toHaveProperty(['/asyncapi.json']);
    });

    it('does not validate frames no protocol has', () => {
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'call.explode' })).toEqual([]);
      expect(spec.matches('/agents/ws', 'fromClient', { v: 2, type: 'ping' })).toEqual([]);
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'ping', extra: true })).toEqual([]);
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'state.set', state: 'asleep' })).toEqual([]);
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'call.transfer', callId: 'c', to: { number: '12345\r\nAction: Originate' }, mode: 'blind' })).toEqual([]);
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'ping' })).toEqual(['ping']);
      const ticketId = '0b7c4f1e-3c1a-4d55-9d59-1f5c4a2e9a10';
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'ticket.save', ticketId, fields: { type: 'complaint' } })).toEqual(['ticket.save']);
      expect(spec.matches('/agents/ws', 'fromClient', { v: 1, type: 'ticket.save', ticketId, fields: { type: 'praise' } })).toEqual([]);
      expect(spec.matches('/agents/ws', 'toClient', { v: 1, type: 'call.exploded', callId: 'c' })).toEqual([]);
      expect(spec.matches('/agents/ws', 'toClient', { v: 1, type: 'pong', serverTime: 1, extra: 1 })).toEqual([]);
      expect(spec.matches('/supervisors/ws', 'fromClient', { v: 1, type: 'state.set', state: 'ready' })).toEqual([]);
      expect(spec.matches('/supervisors/ws', 'fromClient', { v: 1, type: 'subscribe', region: '63-27' })).toEqual([]);
      expect(spec.matches('/supervisors/ws', 'toClient', { v: 1, type: 'alert', id: 'a', regionCode: '630000', at: 'now', kind: 'volcano' })).toEqual([]);
    });

    it('the check over recorded frames catches a frame the document does not describe, and one it accepts but the server refused', () => {
      const recorded = (sent: Record<string, unknown>[], all: Record<string, unknown>[]) => ({ path: '/agents/ws', sent, all }) as unknown as FrameSocket;
      expect(spec.mismatches([recorded([{ v: 1, ref: 'r1', type: 'ping' }], [{ v: 1, type: 'pong', ref: 'r1', serverTime: 1, receivedAt: 1 }])])).toEqual([]);
      expect(spec.mismatches([recorded([], [{ v: 1, type: 'pong', serverTime: 1, undocumented: true, receivedAt: 1 }])])).toHaveLength(1);
      const refusedButValid = recorded([{ v: 1, ref: 'r1', type: 'ping' }], [{ v: 1, type: 'error', ref: 'r1', code: 'BAD_FRAME', message: 'no', messageZh: '不', receivedAt: 1 }]);
      expect(spec.mismatches([refusedButValid])).toEqual([expect.stringContaining('expected []')]);
    });
  });

  describe('frames of a desk and a board through a call', () => {
    it('validate each against exactly the message of its type', async () => {
      const settings = t.app.router.settings;
      // One declined offer raises a missed-call alert, so the board gets an alert frame too.
      t.app.router.settings = { ...settings, missedAlertThreshold: 1 };
      try {
        const agent = await t.addUser({ username: 'agent.contract', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
        const supervisor = await t.addUser({ username: 'sup.contract', role: 'supervisor', region: '630000' });
        const board = await BoardSocket.open(base, supervisor.token);
        await board.next('board');
        const desk = await AgentSocket.open(base, agent.token);
        await desk.next('queue.stats');
        const ok = async (frame: Record<string, unknown>) => expect(await desk.answer(desk.send(frame))).toMatchObject({ type: 'ack' });

        desk.send({ type: 'ping' });
        await desk.next('pong');
        await ok({ type: 'state.set', state: 'not_ready', reason: 'meal' });
        await ok({ type: 'state.set', state: 'ready' });
        const placeCall = async () => {
          const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015' } });
          expect(res.statusCode).toBe(201);
          return res.json().callId as string;
        };

        const missed = await placeCall();
        const first = await desk.next('offer');
        await ok({ type: 'offer.decline', offerId: first.offerId });
        await board.next('alert', (f) => f.kind === 'missed_call' && f.callId === missed);
        await t.app.inject({ method: 'POST', url: `/sim/calls/${missed}/hangup` });
        await ok({ type: 'state.set', state: 'ready' });

        const callId = await placeCall();
        const offer = await desk.next('offer', (f) => (f.call as { callId: string }).callId === callId);
        await ok({ type: 'offer.accept', offerId: offer.offerId });
        await desk.next('call.connected');
        const ticket = (await desk.next('ticket')).ticket as { id: string };
        await ok({ type: 'ticket.save', ticketId: ticket.id, fields: { type: 'complaint', topic: 'labour', summary: '工资拖欠', outcome: 'answered', riskFlag: false } });
        await desk.next('ticket');
        await ok({ type: 'call.hold', callId });
        await desk.next('call.held');
        await ok({ type: 'call.unhold', callId });
        desk.send({ type: 'directory.get' });
        await desk.next('directory');
        expect(await desk.answer(desk.send({ type: 'call.transfer', callId, to: { region: '110000' }, mode: 'blind' }))).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
        // Malformed on purpose: the server refuses it, and so must the document.
        expect(await desk.answer(desk.send({ type: 'wrapup.extend', seconds: 0 }))).toMatchObject({ type: 'error', code: 'BAD_FRAME' });
        await ok({ type: 'call.hangup', callId });
        await desk.next('call.ended');
        await desk.next('state', (f) => f.state === 'wrap_up');
        await ok({ type: 'wrapup.extend', seconds: 30 });
        await ok({ type: 'wrapup.end', next: 'not_ready' });

        const region = board.send({ type: 'subscribe', region: '630100' });
        expect(await board.next('subscribed')).toMatchObject({ ref: region });
        await board.next('board', (f) => f.focus === '630100');
        board.send({ type: 'ping' });
        await board.next('pong');
        expect(await board.answer(board.send({ type: 'subscribe', region: '999999' }))).toMatchObject({ code: 'NOT_FOUND' });
        expect(await board.answer(board.send({ type: 'subscribe', region: 'Xining' }))).toMatchObject({ code: 'BAD_FRAME' });

        // A second desk of the same agent takes over; the first is told.
        const again = await AgentSocket.open(base, agent.token);
        await desk.next('session.replaced');
        await again.answer(again.send({ type: 'logout' }));
        expect((await again.whenClosed()).code).toBe(4002);

        const { sent, received, types } = AsyncApiFrames.counted(FrameSocket.opened);
        expect(sent).toBeGreaterThanOrEqual(20);
        expect(received).toBeGreaterThan(30);
        for (const type of ['hello', 'state', 'offer', 'call.connected', 'ticket', 'call.held', 'call.ended', 'directory', 'ack', 'pong', 'error', 'session.replaced', 'queue.stats', 'offer.cancelled']) {
          expect(types).toContain(`/agents/ws ${type}`);
        }
        for (const type of ['hello', 'board', 'alert', 'subscribed', 'pong', 'error']) expect(types).toContain(`/supervisors/ws ${type}`);
        expect(spec.mismatches(FrameSocket.opened)).toEqual([]);
      } finally {
        t.app.router.settings = settings;
      }
    });
  });
});
