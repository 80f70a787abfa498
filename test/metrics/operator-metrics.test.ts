import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import type { Db } from '../../src/db/database';
import { registerCallbackMetrics } from '../../src/metrics/callback-metrics';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { eventually } from '../support/tcp-proxy';

/**
 * The operator metrics on /metrics, moved by simulated calls through the real flow, and the
 * Grafana dashboard that reads them. Asterisk is configured too (against a fake AMI) so that
 * its link gauge is on /metrics like in production.
 */

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition (no escapes in our label values but quotes). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of `name`'s samples whose labels include `match`. */
const sum = (samples: Sample[], name: string, match: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

const DASHBOARD = path.join(__dirname, '..', '..', 'deploy', 'grafana', 'hotline-dashboard.json');
const XINING = '630100';

describe('operator metrics', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let agentId: string;

  beforeAll(async () => {
    ami = await new FakeAmi().start();
    t = await startTestApp({
      telephony: ['sim', 'asterisk'],
      asterisk: { host: '127.0.0.1', port: ami.port, ...ami.credentials, agentDial: 'PJSIP/{agent}', webrtc: null },
      sim: { keyDelayMs: 0, timeScale: 0.001 },
    });
    agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: XINING, languages: { zh: 5 }, topics: { labour: 5 } })).id;
    if (!(await eventually(async () => t.app.asteriskDriver!.linkUp, 10_000, 20))) throw new Error('the AMI link did not come up');
    // Starting the app (migrations on the embedded database) is slow on a busy machine.
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami?.stop();
  });

  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return parse(res.body);
  };
  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json() as { status: string; outcome: string | null };
  const place = async (payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { digits: '11005', ...payload } });
    expect(res.statusCode).toBe(201);
    return res.json().callId as string;
  };
  const until = async (probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => {
    if (!(await eventually(async () => probe(), timeoutMs, 20))) throw new Error(`timed out waiting for ${what}`);
  };

  it('moves with calls: outcomes, the queue per prefecture, service level, offers, agents, callbacks', async () => {
    const before = await scrape();
    expect(sum(before, 'hotline_asterisk_ami_link_up')).toBe(1);
    expect(sum(before, 'hotline_records_backlog')).toBe(0);
    expect(sum(before, 'hotline_service_level_threshold_seconds')).toBe(15);
    expect(sum(before, 'hotline_queue_waiting_calls')).toBe(0);
    expect(sum(before, 'hotline_agents')).toBe(0);
    // Every prefecture has its series before anything happens there, named in the info metric.
    const prefectures = before.filter((s) => s.name === 'hotline_prefecture_info').map((s) => s.labels.prefecture);
    expect(prefectures).toContain(XINING);
    expect(before.find((s) => s.name === 'hotline_prefecture_info' && s.labels.prefecture === XINING)!.labels.name_zh).toBe('西宁市');
    for (const p of prefectures) expect(before.some((s) => s.name === 'hotline_calls_total' && s.labels.prefecture === p && s.labels.outcome === 'answered')).toBe(true);

    // A caller from Xining hangs up while nobody is there to answer.
    const gone = await place({ from: '09716100001' });
    await until(async () => (await view(gone)).status === 'queued', 'the first call to queue');
    expect(t.app.router.liveCall(gone)?.regionCode).toBe(XINING);
    await t.app.inject({ method: 'POST', url: `/sim/calls/${gone}/hangup` });

    // Another takes the callback offered when nobody is staffed.
    const booked = await place({ from: '09716100002', acceptCallback: true });
    await until(async () => (await view(booked)).outcome === 'callback', 'the callback to be booked');

    // A third waits.
    const waiting = await place({ from: '09716100003' });
    await until(async () => (await view(waiting)).status === 'queued', 'the third call to queue');
    await new Promise((r) => setTimeout(r, 50));
    const queued = await scrape();
    expect(sum(queued, 'hotline_queue_waiting_calls', { prefecture: XINING, kind: 'call' })).toBe(1);
    expect(sum(queued, 'hotline_queue_waiting_calls', { kind: 'call' })).toBe(1);
    expect(sum(queued, 'hotline_queue_longest_wait_seconds', { prefecture: XINING, kind: 'call' })).toBeGreaterThan(0);
    expect(sum(queued, 'hotline_queue_longest_wait_seconds', { prefecture: '632800', kind: 'call' })).toBe(0);
    console.log(
      `while the caller waits: waiting ${sum(queued, 'hotline_queue_waiting_calls', { prefecture: XINING, kind: 'call' })}, ` +
        `longest wait ${sum(queued, 'hotline_queue_longest_wait_seconds', { prefecture: XINING, kind: 'call' })} s, ` +
        `callback attempts waiting ${sum(queued, 'hotline_queue_waiting_calls', { kind: 'callback' })}`,
    );
    expect(sum(queued, 'hotline_calls_queued_total', { prefecture: XINING }) - sum(before, 'hotline_calls_queued_total', { prefecture: XINING })).toBe(3);
    expect(sum(queued, 'hotline_calls_total', { outcome: 'abandoned', prefecture: XINING }) - sum(before, 'hotline_calls_total', { outcome: 'abandoned', prefecture: XINING })).toBe(1);
    expect(sum(queued, 'hotline_calls_total', { outcome: 'callback', prefecture: XINING }) - sum(before, 'hotline_calls_total', { outcome: 'callback', prefecture: XINING })).toBe(1);
    // Counted by a query cached for a few seconds.
    let callbacks = queued;
    await until(async () => sum((callbacks = await scrape()), 'hotline_callbacks_backlog') >= 1, 'the booked callback on /metrics', 15_000);
    expect(sum(callbacks, 'hotline_callbacks_overdue')).toBe(0);

    // An agent signs in, is offered a call (the callback attempt, if due, goes first) and declines it.
    await t.app.router.login({ id: agentId, regionCode: XINING, languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentId);
    await until(() => t.app.router.liveAgent(agentId)?.state === 'reserved', 'the offer to the agent');
    const offered = await scrape();
    expect(sum(offered, 'hotline_agents', { prefecture: XINING, state: 'reserved' })).toBe(1);
    expect(sum(offered, 'hotline_offers_total') - sum(before, 'hotline_offers_total')).toBe(1);
    expect((await t.app.router.decline(agentId, t.app.router.liveAgent(agentId)!.offerId!)).ok).toBe(true);
    const declined = await scrape();
    expect(sum(declined, 'hotline_offers_returned_total', { reason: 'declined' }) - sum(before, 'hotline_offers_returned_total', { reason: 'declined' })).toBe(1);
    expect(sum(declined, 'hotline_agents', { prefecture: XINING, state: 'not_ready' })).toBe(1);

    // Robots sign in and answer the waiting caller.
    expect((await t.app.inject({ method: 'PUT', url: '/sim/agents', payload: { count: 6, talkSeconds: 0.05, answerDelaySeconds: 0, wrapUpSeconds: 0 } })).json().signedIn).toBe(6);
    const staffed = await scrape();
    expect(sum(staffed, 'hotline_agents')).toBe(7);
    await until(async () => (await view(waiting)).status === 'ended', 'the waiting call to be answered and end', 20_000);
    expect((await view(waiting)).outcome).toBe('answered');

    // The queue is full: the next caller is turned away.
    const settings = t.app.router.settings;
    t.app.router.settings = { ...settings, maxQueueSize: 0 };
    try {
      const refused = await place({ from: '09716100004' });
      await until(async () => (await view(refused)).outcome === 'rejected', 'the call to be turned away');
    } finally {
      t.app.router.settings = settings;
    }

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sum(after, name, labels) - sum(before, name, labels);
    expect(moved('hotline_calls_total', { outcome: 'answered', prefecture: XINING })).toBe(1);
    expect(moved('hotline_calls_total', { outcome: 'rejected', prefecture: XINING })).toBe(1);
    expect(moved('hotline_calls_total')).toBe(4);
    expect(moved('hotline_service_level_answered_total', { prefecture: XINING })).toBe(1);
    // It waited well under the 15-s threshold (GB/T 33358, the default target).
    expect(moved('hotline_service_level_answered_within_threshold_total', { prefecture: XINING })).toBe(1);
    expect(moved('hotline_service_level_abandoned_after_threshold_total')).toBe(0);
    expect(moved('hotline_offers_total')).toBeGreaterThanOrEqual(2);
    expect(sum(after, 'hotline_queue_waiting_calls', { kind: 'call' })).toBe(0);
    expect(sum(after, 'hotline_queue_longest_wait_seconds', { prefecture: XINING, kind: 'call' })).toBe(0);

    // The robots' prefectures on /metrics are the ones they serve.
    const byPrefecture = new Map<string, number>();
    for (const a of t.app.router.snapshot().agents) {
      if (a.state === 'offline') continue;
      const p = t.app.regions.lineage(a.regionCode).at(-2)?.code ?? t.app.province.code;
      byPrefecture.set(p, (byPrefecture.get(p) ?? 0) + 1);
    }
    for (const [p, n] of byPrefecture) expect(sum(after, 'hotline_agents', { prefecture: p })).toBe(n);

    console.log(
      'operator metrics after the calls:',
      after
        .filter((s) => /^hotline_(calls_total|service_level|offers|agents$|callbacks|queue)/.test(s.name) && s.value !== 0)
        .map((s) => `${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',')}} ${s.value}`)
        .join('\n'),
    );
    expect((await t.app.inject({ method: 'PUT', url: '/sim/agents', payload: { count: 0 } })).json().signedIn).toBe(0);
  }, 60_000);

  it('has a Grafana dashboard whose every query reads metrics this service exposes', async () => {
    const dashboard = JSON.parse(await fs.readFile(DASHBOARD, 'utf8'));
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const panels: { title: string; datasource?: { uid: string }; targets?: { expr: string }[]; panels?: unknown[] }[] = dashboard.panels.flatMap((p: { panels?: unknown[] }) => [p, ...(p.panels ?? [])]);
    const queries = panels.filter((p) => p.targets);
    expect(queries.length).toBeGreaterThanOrEqual(8);
    const exprs = queries.flatMap((p) => p.targets!.map((x) => x.expr));
    for (const p of queries) expect(p.datasource?.uid).toBe('${DS_PROMETHEUS}');
    for (const v of dashboard.templating?.list ?? []) if (v.type === 'query') exprs.push(typeof v.query === 'string' ? v.query : v.query.query);

    const exposed = new Set((await scrape()).map((s) => s.name));
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(hotline_[a-z0-9_]+|http_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)\b/g)].map((m) => m[1]!)));
    const missing = [...used].filter((name) => !exposed.has(name));
    expect(missing).toEqual([]);
    // Each figure the issue asks for has a panel.
    for (const name of [
      'hotline_calls_total',
      'hotline_queue_waiting_calls',
      'hotline_queue_longest_wait_seconds',
      'hotline_service_level_answered_within_threshold_total',
      'hotline_offers_total',
      'hotline_offers_returned_total',
      'hotline_agents',
      'hotline_asterisk_ami_link_up',
      'hotline_records_backlog',
      'hotline_callbacks_backlog',
    ]) {
      expect(used).toContain(name);
    }
  });
});

describe('callback backlog while the database is away', () => {
  /** A stand-in for Kysely whose every chain ends in `answer()`. */
  let answer: () => Promise<unknown> = async () => [];
  const db = new Proxy({}, { get: (_t, prop) => (prop === 'execute' ? () => answer() : () => db) }) as unknown as Db;
  const warn = jest.fn();
  const registry = new Registry();
  registerCallbackMetrics({ registry, db, provinceCode: '630000', overdueMinutes: () => 60, log: { warn } as unknown as FastifyBaseLogger, ttlMs: 0, timeoutMs: 100 });
  const read = async () => parse(await registry.metrics());

  it('shows nothing before a first count, then keeps the last count when the database fails or hangs', async () => {
    answer = async () => Promise.reject(new Error('connection refused'));
    let m = await read();
    expect(m.filter((s) => s.name === 'hotline_callbacks_backlog')).toEqual([]);
    expect(sum(m, 'hotline_callbacks_overdue')).toBeNaN();

    answer = async () => [{ status: 'pending', n: 3, overdue: 1 }, { status: 'queued', n: 2, overdue: 0 }];
    m = await read();
    expect([sum(m, 'hotline_callbacks_backlog', { status: 'pending' }), sum(m, 'hotline_callbacks_backlog', { status: 'queued' }), sum(m, 'hotline_callbacks_overdue')]).toEqual([3, 2, 1]);

    answer = async () => Promise.reject(new Error('connection refused'));
    m = await read();
    expect(sum(m, 'hotline_callbacks_backlog')).toBe(5);
    await read();
    // Told once per outage, not on every scrape.
    expect(warn).toHaveBeenCalledTimes(2);

    answer = () => new Promise(() => {});
    const started = Date.now();
    m = await read();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(sum(m, 'hotline_callbacks_backlog')).toBe(5);
  });
});
