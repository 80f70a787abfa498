import { OUTCOMES } from '../../tickets/ticket-outcomes';
import type { Db } from '../../db/database';
import { isDatabaseUnavailable } from '../../db/errors';
import type { Role, TicketRow } from '../../db/schema';
import type { LiveCall, LiveLeg } from '../../queue/types';
import { LANGUAGES, TOPICS } from '../../queue/skills';
import type { RegionDirectory } from '../../regions/region-directory';
import { ART31_MATTERS, ART32_MATTERS, MATTERS } from '../../tickets/eligibility';
import { DEPARTMENTS } from '../../tickets/referrals';
import { TICKET_TYPES } from '../../tickets/ticket-types';
import { maskPhoneNumber } from '../../telephony/phone-number';
import { ticketsRepository } from '../../tickets/tickets-repository';
import type { CallView, Catalogue, HistoryItem, LegView, RegionView, TicketView } from './protocol';

/** How many earlier tickets of the caller the desktop shows with an offer. */
export const HISTORY_LIMIT = 10;

/**
 * Agents see enough of the number to recognise a repeat caller and no more, whatever its length
 * (maskPhoneNumber); supervisors and admins, who follow up complaints and risk cases, see it whole.
 */
export function maskCallerNumber(number: string | null, role: Role): string {
  if (!number) return '';
  if (role === 'supervisor' || role === 'admin') return number;
  return maskPhoneNumber(number);
}

export function regionView(regions: RegionDirectory, code: string): RegionView {
  const r = regions.get(code);
  return { code, name: r?.nameZh ?? code, nameEn: r?.namePinyin ?? code };
}

export function ticketView(t: TicketRow): TicketView {
  return {
    id: t.id,
    number: t.number,
    callId: t.call_id,
    type: t.type,
    topic: t.topic,
    summary: t.summary,
    advice: t.advice,
    outcome: t.outcome,
    riskFlag: t.risk_flag,
    updatedAt: t.updated_at.toISOString(),
  };
}

const SUMMARY_PREVIEW = 200;

/**
 * The call as the desktop shows it: who is calling (masked as the role requires) and their
 * history. When the database cannot be read the call is shown all the same, without them: an
 * agent must always see the call they are on.
 */
export async function loadCallView(db: Db, regions: RegionDirectory, call: LiveCall, role: Role, held = false, legHolder: string | null = null): Promise<CallView> {
  let number: string | null = null;
  let history: HistoryItem[] = [];
  let detailsUnavailable = false;
  // A colleague asked into a call sees the caller's details, as the agent holding it does.
  const parent = call.kind === 'leg' && call.parentId ? call.parentId : null;
  const callRow = parent ?? call.id;
  try {
    // An attempt at a callback calls the number the callback was booked for.
    number =
      call.kind === 'callback' && call.origin
        ? ((await db.selectFrom('callbacks').select('caller_number').where('id', '=', call.origin).executeTakeFirst())?.caller_number ?? null)
        : ((await db.selectFrom('calls').select('caller_number').where('id', '=', callRow).executeTakeFirst())?.caller_number ?? null);
    history = number
      ? (await ticketsRepository.historyOfNumber(db, number, callRow, HISTORY_LIMIT)).map((t) => ({
          ticketId: t.id,
          number: t.number,
          at: t.created_at.toISOString(),
          topic: t.topic,
          outcome: t.outcome,
          riskFlag: t.risk_flag,
          summary: t.summary.length > SUMMARY_PREVIEW ? `${t.summary.slice(0, SUMMARY_PREVIEW)}…` : t.summary,
        }))
      : [];
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    detailsUnavailable = true;
  }
  return {
    callId: call.id,
    kind: call.kind,
    ...(parent && call.purpose ? { leg: { purpose: call.purpose, callId: parent, fromAgentId: legHolder ?? '' } } : {}),
    callerNumber: maskCallerNumber(number, role),
    region: regionView(regions, call.regionCode),
    language: call.language,
    topic: call.topic,
    priority: call.priority,
    enqueuedAt: call.enqueuedAt,
    answeredAt: call.answeredAt,
    held,
    ...(call.kind !== 'leg' ? { secondLeg: call.leg ? legView(call.leg) : null } : {}),
    history,
    ...(detailsUnavailable ? { detailsUnavailable: true as const } : {}),
  };
}

export function legView(leg: LiveLeg): LegView {
  return { legId: leg.id, purpose: leg.purpose, state: leg.state, byAgentId: leg.by, to: leg.to, agentId: leg.agentId, since: leg.since };
}

/** Ticket outcomes with their names; also the Chinese labels of exported files. */

const NOT_READY = {
  break: { zh: '小休', en: 'Break' },
  meal: { zh: '用餐', en: 'Meal' },
  training: { zh: '培训', en: 'Training' },
  other: { zh: '其他', en: 'Other' },
  login: { zh: '刚登录', en: 'Just signed in' },
  missed: { zh: '未接来电', en: 'Missed a call' },
  declined: { zh: '拒接来电', en: 'Declined a call' },
} as const;

const labels = (m: Record<string, { zh: string; en: string }>) => Object.entries(m).map(([code, l]) => ({ code, zh: l.zh, en: l.en }));

/** The languages this province's hotline offers come first; the page lists only those. */
export function catalogue(languages: readonly string[]): Catalogue {
  return {
    topics: labels(TOPICS),
    ticketTypes: labels(TICKET_TYPES),
    languages: labels(Object.fromEntries(languages.filter((l) => l in LANGUAGES).map((l) => [l, LANGUAGES[l as keyof typeof LANGUAGES]]))),
    outcomes: labels(OUTCOMES),
    notReadyReasons: labels(NOT_READY),
    matters: { art31: [...ART31_MATTERS], art32: [...ART32_MATTERS], other: MATTERS.filter((m) => !(ART31_MATTERS as readonly string[]).includes(m) && !(ART32_MATTERS as readonly string[]).includes(m)) },
    departments: [...DEPARTMENTS],
  };
}
