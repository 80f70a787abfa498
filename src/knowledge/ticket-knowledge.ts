import type { Db } from '../db/database';
import { basisText } from './article';
import { knowledgeRepository } from './knowledge-repository';

/** An article used on a ticket, as the ticket shows it: the version read, who used it, when. */
export interface TicketKnowledgeView {
  articleId: string;
  version: number;
  title: string;
  basisText: string;
  retired: boolean;
  linkedBy: { id: string; username: string } | null;
  linkedAt: Date;
}

export async function ticketKnowledge(db: Db, ticketId: string): Promise<TicketKnowledgeView[]> {
  const rows = await knowledgeRepository(db).linksOfTicket(ticketId);
  return rows.map((r) => ({
    articleId: r.article_id,
    version: r.version,
    title: r.title,
    basisText: basisText(r.basis),
    retired: r.retired_at !== null,
    linkedBy: r.linked_by ? { id: r.linked_by, username: r.linked_by_username ?? '' } : null,
    linkedAt: r.linked_at,
  }));
}
