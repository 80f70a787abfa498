import { hashPassword } from '../../src/auth/passwords';
import type { Db } from '../../src/db/database';
import { jsonb } from '../../src/db/json';
import type { TicketRow, TicketType } from '../../src/db/schema';
import type { TestApp } from '../support/app';

/** The password test/support/app.ts gives every account it adds. */
const PASSWORD = 'test-password-1';
let passwordHash: Promise<string> | undefined;

/**
 * An account of a receiving organisation (legal aid centre, mediation committee), signed in.
 * `organisationCode` is a code from the province file, e.g. LA-632701 (Yushu's legal aid centre).
 */
export async function addOrganisationAccount(t: TestApp, username: string, organisationCode: string): Promise<{ id: string; token: string }> {
  const organisation = await t.app.db.selectFrom('organisations').select(['id', 'region_code']).where('code', '=', organisationCode).executeTakeFirstOrThrow();
  passwordHash ??= hashPassword(PASSWORD);
  const row = await t.app.db
    .insertInto('agents')
    .values({
      username,
      password_hash: await passwordHash,
      display_name: username,
      role: 'organisation',
      region_code: organisation.region_code,
      organisation_id: organisation.id,
      languages: jsonb({}),
      topics: jsonb({}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: PASSWORD } });
  if (res.statusCode !== 200) throw new Error(`login for ${username} failed: ${res.body}`);
  return { id: row.id, token: res.json().token };
}

let sequence = 0;

export interface TicketFields {
  regionCode: string | null;
  callerNumber?: string;
  agentId?: string | null;
  /** Left out: the table's default, consultation. */
  type?: TicketType;
  topic?: string | null;
  summary?: string;
  advice?: string;
  outcome?: TicketRow['outcome'];
  riskFlag?: boolean;
  surveyScore?: number | null;
  language?: string | null;
  /** ISO time; China time is easiest to read: '2026-03-10T09:00:00+08:00'. */
  createdAt?: string;
  callId?: string | null;
}

/** A ticket row written straight to the database, with a number no other fixture uses. */
export async function insertTicket(db: Db, f: TicketFields): Promise<{ id: string; number: string }> {
  sequence += 1;
  const createdAt = f.createdAt ?? '2026-03-10T09:00:00+08:00';
  const day = new Date(new Date(createdAt).getTime() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
  return db
    .insertInto('tickets')
    .values({
      number: `QH-${day}-${String(900000 + sequence).padStart(6, '0')}`,
      call_id: f.callId ?? null,
      caller_number: f.callerNumber ?? '13900000000',
      region_code: f.regionCode,
      language: f.language === undefined ? 'zh' : f.language,
      topic: f.topic === undefined ? 'labour' : f.topic,
      ...(f.type !== undefined ? { type: f.type } : {}),
      summary: f.summary ?? '',
      advice: f.advice ?? '',
      outcome: f.outcome === undefined ? 'answered' : f.outcome,
      risk_flag: f.riskFlag ?? false,
      agent_id: f.agentId ?? null,
      survey_score: f.surveyScore ?? null,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
}

/** An answered call's record with its timeline, as the queue and the call flow leave it. */
export async function insertAnsweredCall(db: Db, c: { callerNumber: string; regionCode: string; agentId: string; arrivedAt: string }): Promise<string> {
  const arrived = new Date(c.arrivedAt);
  const at = (seconds: number) => new Date(arrived.getTime() + seconds * 1000);
  const call = await db
    .insertInto('calls')
    .values({
      province_code: '630000',
      driver: 'sim',
      caller_number: c.callerNumber,
      region_code: c.regionCode,
      language: 'zh',
      topic: 'labour',
      status: 'ended',
      end_reason: 'answered',
      agent_id: c.agentId,
      arrived_at: arrived,
      queued_at: at(20),
      answered_at: at(45),
      ended_at: at(345),
      wait_ms: 25_000,
      talk_ms: 300_000,
      recording_url: 'https://recordings.example.cn/calls/abc.wav',
      region_source: 'ivr',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const events: [number, string, Record<string, unknown>][] = [
    [0, 'arrived', { driver: 'sim' }],
    [20, 'queued', { priority: 0 }],
    [30, 'offered', { agentId: c.agentId }],
    [45, 'connected', { agentId: c.agentId }],
    [345, 'ended', { talkMs: 300_000 }],
  ];
  for (const [seconds, type, data] of events) {
    await db.insertInto('call_events').values({ call_id: call.id, at: at(seconds), type, data: jsonb(data) }).execute();
  }
  return call.id;
}
