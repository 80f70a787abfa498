import type { TicketType } from '../db/schema';

/**
 * Ticket types (工单类型), in the order the desk offers them. Consultation comes first: most
 * callers ask about the law, and it is what a ticket is until the agent chooses another (the
 * column's default, migrations/0011_ticket_types.ts).
 */
export const TICKET_TYPES = {
  consultation: { zh: '咨询', en: 'Consultation' },
  help: { zh: '求助', en: 'Request for help' },
  complaint: { zh: '投诉', en: 'Complaint' },
  suggestion: { zh: '建议', en: 'Suggestion' },
} as const satisfies Record<TicketType, { zh: string; en: string }>;

export const TICKET_TYPE_CODES = Object.keys(TICKET_TYPES) as [TicketType, ...TicketType[]];

/** Counts keyed by every type, zero where none: a report always names all four. */
export type TicketTypeCounts = Record<TicketType, number>;

export function zeroTypeCounts(): TicketTypeCounts {
  return { consultation: 0, help: 0, complaint: 0, suggestion: 0 };
}
