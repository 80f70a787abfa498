import { z } from 'zod';
import { AmiClient, AmiResponse } from '../../src/telephony/asterisk/ami-client';
import { AmiActionError, AmiNotConnectedError, AmiTimeoutError, AmiUnsafeValueError } from '../../src/telephony/asterisk/ami-errors';
import { DialEndEvent } from '../../src/telephony/asterisk/ami-events';
import { FakeAmi } from '../support/fake-ami';
import { memoryLogger } from '../support/memory-logger';
import { eventually } from '../support/tcp-proxy';

/**
 * The AMI client against a fake Asterisk on a real socket: what goes on the wire, what comes
 * back, and what happens when Asterisk is silent, wrong, unreachable or talks nonsense.
 */
describe('AMI client', () => {
  let ami: FakeAmi;
  let client: AmiClient;
  let logs: Record<string, unknown>[];

  async function connect(options: Partial<ConstructorParameters<typeof AmiClient>[0]> = {}) {
    const { log, lines } = memoryLogger();
    logs = lines;
    client = new AmiClient({ host: '127.0.0.1', port: ami.port, ...ami.credentials, log, reconnectInitialMs: 50, ...options });
    client.open();
    if (!(await eventually(async () => client.connected, 5_000, 10))) throw new Error('the client did not log in');
  }

  beforeEach(async () => {
    ami = await new FakeAmi().start();
  });
  afterEach(async () => {
    await client?.close();
    await ami.stop();
  });

  it('logs in with the configured user and gets typed answers that echo its ActionID', async () => {
    await connect();
    const login = ami.named('login')[0]!;
    expect(login.headers).toMatchObject({ username: 'hotline', secret: 's3cret-AMI' });
    const pong = await client.action('Ping', {}, { schema: AmiResponse.extend({ ping: z.literal('Pong') }) });
    expect(pong.ping).toBe('Pong');
    const ping = ami.named('ping').at(-1)!;
    expect(pong.actionid).toBe(ping.headers.actionid);
  });

  it('turns Response: Error into an error naming the action and what Asterisk said', async () => {
    await connect();
    const refused = client.action('Redirect', { Channel: 'PJSIP/nobody-00000001', Context: 'hotline-menu', Exten: 's', Priority: 1 });
    await expect(refused).rejects.toThrow(AmiActionError);
    await expect(refused).rejects.toThrow('Asterisk refused Redirect: Channel does not exist: PJSIP/nobody-00000001');
  });

  it('gives up on an action Asterisk never answers, with a clear error, and keeps the link', async () => {
    await connect();
    ami.silence('Hangup');
    const unanswered = client.action('Hangup', { Channel: 'PJSIP/trunk-00000001' }, { timeoutMs: 300 });
    await expect(unanswered).rejects.toThrow(AmiTimeoutError);
    await expect(unanswered).rejects.toThrow('Asterisk did not answer Hangup within 300 ms');
    expect(client.connected).toBe(true);
    await expect(client.action('Ping')).resolves.toMatchObject({ response: 'Success' });
  });

  it('refuses any value with a line break or control character before writing a byte', async () => {
    await connect();
    const before = ami.raw.length;
    const attempts = [
      client.action('Setvar', { Channel: 'PJSIP/trunk-00000001', Variable: 'HOTLINE_STEP', Value: '1\r\n\r\nAction: Originate\r\nChannel: PJSIP/premium\r\nApplication: Dial' }),
      client.action('Setvar', { Channel: 'PJSIP/trunk-00000001\nAction: Originate', Variable: 'X', Value: '1' }),
      client.action('Setvar', { Channel: 'PJSIP/trunk-00000001', Variable: 'X', Value: 'bare\rreturn' }),
      client.action('Setvar', { Channel: 'PJSIP/trunk-00000001', Variable: 'X', Value: 'nul\u0000byte' }),
      // Variable names are plain names: no dialplan functions that write files or run commands.
      client.action('Setvar', { Channel: 'PJSIP/trunk-00000001', Variable: 'FILE(/etc/asterisk/manager.conf)', Value: '' }),
      client.action('Setvar', { Channel: 'PJSIP/trunk-00000001', Variable: 'A=B', Value: '' }),
      client.action('Redirect\r\nAction: Originate', {}),
      client.action('Redirect', { 'Channel\r\nAction': 'Originate' }),
      client.action('Redirect', { ActionID: 'mine' }),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toThrow(AmiUnsafeValueError);
    await expect(attempts[0]).rejects.toThrow('refusing to send Setvar: field Value contains a line break or another control character');
    await expect(attempts[4]).rejects.toThrow('field Variable is not a plain variable name');
    // Nothing reached Asterisk, and the link still works.
    await client.action('Ping');
    expect(ami.raw.slice(before)).not.toMatch(/Originate|Setvar/);
    expect(ami.named('originate')).toHaveLength(0);
  });

  it('collects a list action: the acknowledgement, the items, then the Complete event', async () => {
    await connect();
    ami.addChannel({ callerIdNum: '13519712345', channel: 'PJSIP/trunk-0000000a', uniqueid: '1712000000.10' });
    ami.addChannel({ callerIdNum: '09718000000', channel: 'PJSIP/trunk-0000000b', uniqueid: '1712000000.11', context: 'hotline-park' });
    const Item = z.looseObject({ channel: z.string(), uniqueid: z.string(), context: z.string() });
    const channels = await client.list('CoreShowChannels', {}, { itemEvent: 'CoreShowChannel', completeEvent: 'CoreShowChannelsComplete', itemSchema: Item });
    expect(channels.map((c) => [c.uniqueid, c.context])).toEqual([
      ['1712000000.10', 'hotline-inbound'],
      ['1712000000.11', 'hotline-park'],
    ]);
  });

  it('validates events: malformed ones and garbage are logged and dropped, the rest delivered', async () => {
    await connect();
    const seen: string[] = [];
    client.on('UserEvent', z.looseObject({ uniqueid: z.string().regex(/^\d+\.\d+$/), userevent: z.string() }), (e) => {
      seen.push(e.userevent);
    });
    ami.sendRaw('\u0000\u0001\u00ff garbage without a colon\r\n\r\n');
    ami.sendRaw('Event: UserEvent\r\nUserEvent: Twice\r\nUniqueid: 1.1\r\nUniqueid: 2.2\r\n\r\n');
    ami.sendRaw('Event: UserEvent\r\nUserEvent: BadId\r\nUniqueid: ../../etc\r\n\r\n');
    ami.sendRaw('Response: Success\r\nActionID: close\r\n\r\n');
    ami.sendRaw('Event: UserEvent\r\nUserEvent: Fine\r\nUniqueid: 1712000000.1\r\n\r\n');
    expect(await eventually(async () => seen.includes('Fine'), 2_000, 10)).toBe(true);
    expect(seen).toEqual(['Fine']);
    expect(logs.filter((l) => l.msg === 'malformed AMI event ignored')).toHaveLength(2);
    expect(client.connected).toBe(true);
    await expect(client.action('Ping')).resolves.toMatchObject({ response: 'Success' });
  });

  it("takes an Originate's DialEnd, which names no calling channel, as an ordinary event", async () => {
    await connect();
    const seen: { uniqueid?: string; destuniqueid?: string; dialstatus: string }[] = [];
    client.on('DialEnd', DialEndEvent, (e) => {
      seen.push({ uniqueid: e.uniqueid, destuniqueid: e.destuniqueid, dialstatus: e.dialstatus });
    });
    // As Asterisk 22 sends it for Originate: only the Dest* headers.
    ami.sendRaw('Event: DialEnd\r\nPrivilege: call,all\r\nDestChannel: Local/8001@hotline-agents-00000001;1\r\nDestUniqueid: 1712000000.20\r\nDialStatus: ANSWER\r\n\r\n');
    ami.sendRaw('Event: DialEnd\r\nPrivilege: call,all\r\nChannel: PJSIP/trunk-0000000a\r\nUniqueid: 1712000000.10\r\nDestChannel: PJSIP/agent-0000000c\r\nDestUniqueid: 1712000000.12\r\nDialStatus: ANSWER\r\n\r\n');
    expect(await eventually(async () => seen.length === 2, 2_000, 10)).toBe(true);
    expect(seen).toEqual([
      { uniqueid: undefined, destuniqueid: '1712000000.20', dialstatus: 'ANSWER' },
      { uniqueid: '1712000000.10', destuniqueid: '1712000000.12', dialstatus: 'ANSWER' },
    ]);
    expect(logs.filter((l) => l.msg === 'malformed AMI event ignored')).toEqual([]);
  });

  it('reconnects with growing pauses while Asterisk is away, and says so when it is back', async () => {
    await connect({ reconnectInitialMs: 100, reconnectMaxMs: 2_000 });
    const ups: boolean[] = [];
    client.onUp(({ reconnect }) => ups.push(reconnect));
    ami.refuseConnections(true);
    ami.dropConnections();
    const attemptsBefore = ami.connectionTimes.length;
    expect(await eventually(async () => ami.connectionTimes.length >= attemptsBefore + 4, 10_000, 20)).toBe(true);
    const times = ami.connectionTimes.slice(attemptsBefore);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]!);
    ami.refuseConnections(false);
    expect(await eventually(async () => client.connected, 10_000, 20)).toBe(true);
    expect(ami.logins).toBe(2);
    expect(ups).toEqual([true]);
    expect(logs.some((l) => l.msg === 'AMI link restored')).toBe(true);
  });

  it('keeps trying after a refused login, logging why, and never connects with the wrong secret', async () => {
    const { log, lines } = memoryLogger();
    client = new AmiClient({ host: '127.0.0.1', port: ami.port, username: 'hotline', secret: 'wrong', log, reconnectInitialMs: 50 });
    client.open();
    expect(await eventually(async () => ami.named('login').length >= 2, 5_000, 10)).toBe(true);
    expect(client.connected).toBe(false);
    expect(ami.logins).toBe(0);
    expect(lines.find((l) => String(l.msg).startsWith('Asterisk refused the AMI login'))).toMatchObject({ reason: 'Authentication failed' });
  });

  it('keeps a link whose Pings are answered late while events keep coming (an overloaded Asterisk), up to a limit', async () => {
    await connect({ pingIntervalMs: 150, actionTimeoutMs: 100, latePingsTolerated: 3 });
    ami.silence('Ping');
    // A busy Asterisk: its answers are queued behind its work, its events still flow.
    const busy = setInterval(() => ami.event('Newchannel', 'call,all', [['Channel', 'Local/12348@hotline-inbound-0001;2']]), 20);
    try {
      expect(await eventually(async () => logs.filter((l) => l.msg === 'Asterisk is slow to answer Ping but still sending events; keeping the AMI link').length >= 3, 5_000, 20)).toBe(true);
      // Three late Pings borne with, the fourth drops the link: an Asterisk that answers no action at all is no use.
      expect(await eventually(async () => ami.logins === 2, 5_000, 20)).toBe(true);
      expect(logs.filter((l) => l.msg === 'AMI link stopped answering Ping; reconnecting').length).toBe(1);
      expect(logs.filter((l) => l.msg === 'Asterisk is slow to answer Ping but still sending events; keeping the AMI link').map((l) => l.latePings)).toEqual([1, 2, 3]);
    } finally {
      clearInterval(busy);
      ami.silence('Ping', false);
    }
    await expect(client.action('Ping')).resolves.toMatchObject({ response: 'Success' });
  });

  it('keeps at most maxInFlight actions unanswered at Asterisk, even past their deadline; waiting urgent ones go first', async () => {
    await connect({ maxInFlight: 2, actionTimeoutMs: 300 });
    ami.holdAnswers('Getvar');
    const before = ami.actions.length;
    // Asterisk busy with two: the rest wait in the service, where an urgent one can overtake.
    const stuck = [client.action('Getvar', { Variable: 'A' }), client.action('Getvar', { Variable: 'B' })].map((p) => p.catch((err: Error) => err));
    const normal = ['N1', 'N2', 'N3'].map((v) => client.action('Setvar', { Variable: v, Value: '1' }));
    const urgent = client.action('Setvar', { Variable: 'URGENT', Value: '1' }, { lane: 'urgent' });
    // Given up on after 300 ms, but still in Asterisk's queue: their places stay taken.
    expect((await stuck[0]) as Error).toBeInstanceOf(AmiTimeoutError);
    expect((await stuck[1]) as Error).toBeInstanceOf(AmiTimeoutError);
    await new Promise((r) => setTimeout(r, 100));
    expect(ami.actions.length - before).toBe(2);
    // A Ping is never held back by the window (it says whether the link itself is alive).
    await expect(client.action('Ping', {}, { lane: 'now' })).resolves.toMatchObject({ response: 'Success' });
    // Asterisk answers them at last: the urgent one is sent next, then the others in order.
    ami.releaseAnswers('Getvar');
    await expect(urgent).resolves.toMatchObject({ response: 'Success' });
    await expect(Promise.all(normal)).resolves.toHaveLength(3);
    const order = ami.actions.slice(before).filter((a) => a.action !== 'ping').map((a) => a.headers.variable);
    expect(order).toEqual(['A', 'B', 'URGENT', 'N1', 'N2', 'N3']);
  });

  it('sends nothing more once closing: what waits fails at once, and the Logoff is not held behind it', async () => {
    await connect({ maxInFlight: 1, actionTimeoutMs: 5_000 });
    ami.holdAnswers('Getvar');
    const first = client.action('Getvar', { Variable: 'A' }).catch((err: Error) => err);
    const waiting = client.action('Setvar', { Variable: 'LATE', Value: '1' }).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await waiting).toBeInstanceOf(AmiNotConnectedError);
    expect(await first).toBeInstanceOf(AmiNotConnectedError);
    expect(ami.named('logoff')).toHaveLength(1);
    expect(ami.actions.some((a) => a.headers.variable === 'LATE')).toBe(false);
    ami.releaseAnswers('Getvar');
  });

  it('drops and renews a link that stops answering (a frame that wedges the parser)', async () => {
    await connect({ pingIntervalMs: 200, actionTimeoutMs: 200 });
    // asterisk-manager waits for "--END COMMAND--" after a Follows response, reading nothing else.
    ami.sendRaw('Response: Follows\r\nPrivilege: Command\r\n');
    expect(await eventually(async () => ami.logins === 2 && client.connected, 5_000, 20)).toBe(true);
    expect(logs.some((l) => l.msg === 'AMI link stopped answering Ping; reconnecting')).toBe(true);
    await expect(client.action('Ping')).resolves.toMatchObject({ response: 'Success' });
  });
});
