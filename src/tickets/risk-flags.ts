/** A ticket an agent or supervisor has just flagged as a risk (self-harm, violence, a mass incident). */
export interface FlaggedTicket {
  id: string;
  number: string;
  callId: string | null;
  regionCode: string | null;
  topic: string | null;
  at: Date;
}

/**
 * Tells this node's listeners (the wallboard) the moment a ticket is saved with the risk flag, so
 * supervisors hear of it while the call is still on — not at the wallboard's next poll of the
 * tickets, which is what reaches the boards of the other nodes.
 */
export class RiskFlags {
  private readonly listeners: ((t: FlaggedTicket) => void)[] = [];

  onFlagged(listener: (t: FlaggedTicket) => void): void {
    this.listeners.push(listener);
  }

  flagged(t: FlaggedTicket): void {
    for (const l of this.listeners) l(t);
  }
}
