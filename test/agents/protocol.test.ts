import { parseClientFrame } from '../../src/agents/gateway/protocol';

describe('agent desktop protocol frames', () => {
  it('accepts each well-formed frame the desktop sends', () => {
    for (const frame of [
      { v: 1, type: 'state.set', state: 'not_ready', reason: 'meal' },
      { v: 1, type: 'offer.accept', offerId: 'o-1', ref: 'r1' },
      { v: 1, type: 'call.transfer', callId: 'c-1', to: { region: '632700' }, mode: 'blind' },
      { v: 1, type: 'ticket.save', ticketId: '0b7c4f1e-3c1a-4d55-9d59-1f5c4a2e9a10', fields: { summary: '工资被拖欠三个月', outcome: 'refer_legal_aid', riskFlag: false } },
      { v: 1, type: 'ticket.save', ticketId: '0b7c4f1e-3c1a-4d55-9d59-1f5c4a2e9a10', fields: { type: 'complaint' } },
      { v: 1, type: 'wrapup.end' },
    ]) {
      expect(parseClientFrame(JSON.stringify(frame))).toMatchObject({ ok: true, frame });
    }
  });

  it('names what is wrong with a bad frame, keeping its ref for the answer', () => {
    expect(parseClientFrame('{not json')).toEqual({ ok: false, message: 'the frame is not valid JSON' });
    expect(parseClientFrame('[1,2]')).toEqual({ ok: false, message: 'the frame must be a JSON object' });
    expect(parseClientFrame(JSON.stringify({ v: 1, type: 'call.explode', ref: 'x' }))).toMatchObject({ ok: false, ref: 'x', message: expect.stringMatching(/^type: must be one of ping, state\.set/) });
    expect(parseClientFrame(JSON.stringify({ v: 2, type: 'ping' }))).toMatchObject({ ok: false, message: expect.stringContaining('v: must be 1') });
    expect(parseClientFrame(JSON.stringify({ v: 1, type: 'state.set', state: 'asleep' }))).toMatchObject({ ok: false, message: expect.stringContaining('state:') });
    expect(parseClientFrame(JSON.stringify({ v: 1, type: 'offer.accept', offerId: 7 }))).toMatchObject({ ok: false, message: expect.stringContaining('offerId:') });
    expect(parseClientFrame(JSON.stringify({ v: 1, type: 'ping', extra: true }))).toMatchObject({ ok: false });
    expect(parseClientFrame(JSON.stringify({ v: 1, type: 'ticket.save', ticketId: '0b7c4f1e-3c1a-4d55-9d59-1f5c4a2e9a10', fields: { type: 'praise' } }))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^fields\.type: .*consultation/),
      messageZh: expect.stringMatching(/^消息格式有误：fields\.type 无效选项：.*consultation/),
    });
    expect(parseClientFrame(JSON.stringify({ v: 1, type: 'call.transfer', callId: 'c', to: { number: '12345\r\nAction: Originate' }, mode: 'blind' }))).toMatchObject({ ok: false });
  });
});
