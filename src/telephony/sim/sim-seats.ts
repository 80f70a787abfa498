import type { FastifyBaseLogger } from 'fastify';
import type { SeatDialer, SeatReports, SeatRing } from '../seat-dialer';

/**
 * Simulated remote seats: the phone of a duty lawyer who answers on their mobile. Each number
 * behaves as told (`answer`): hears the announcement and presses 1, presses another key, or never
 * answers (rings until the ring time is over, then the phone system reports no answer). A seat
 * that took a call talks until the desk hangs up, or until `agentHangsUp`.
 */

export type SimSeatBehaviour = 'press1' | 'decline' | 'no_answer';

export interface SimSeatLegView {
  offerId: string;
  callId: string;
  number: string;
  /** What the seat heard (the announcement) and pressed. */
  heard: string | null;
  pressed: string | null;
  status: 'ringing' | 'talking' | 'ended';
  outcome: 'accepted' | 'declined' | 'no_answer' | 'too_late' | 'hung_up' | null;
}

export interface SimSeatsOptions {
  keyDelayMs: number;
  timeScale: number;
}

const KEEP = 2_000;

export class SimSeats implements SeatDialer {
  private readonly behaviours = new Map<string, SimSeatBehaviour>();
  private readonly legs = new Map<string, SimSeatLegView>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly reports: SeatReports,
    private readonly log: FastifyBaseLogger,
    private readonly o: SimSeatsOptions,
  ) {}

  /** How the phone at `number` answers from now on (default: press 1). */
  answer(number: string, behaviour: SimSeatBehaviour): void {
    this.behaviours.set(number, behaviour);
  }

  /** Every ring of this number on this node, oldest first. */
  rings(number: string): SimSeatLegView[] {
    return [...this.legs.values()].filter((l) => l.number === number).map((l) => ({ ...l }));
  }

  async ring(r: SeatRing): Promise<void> {
    const leg: SimSeatLegView = { offerId: r.offerId, callId: r.callId, number: r.number, heard: null, pressed: null, status: 'ringing', outcome: null };
    this.legs.set(r.offerId, leg);
    if (this.legs.size > KEEP) this.legs.delete(this.legs.keys().next().value!);
    const behaviour = this.behaviours.get(r.number) ?? 'press1';
    if (behaviour === 'no_answer') {
      this.later(r.ringSeconds * 1000 * this.o.timeScale, async () => {
        if (leg.status !== 'ringing') return;
        leg.status = 'ended';
        leg.outcome = 'no_answer';
        await this.reports.ended(r.offerId, 'no_answer', 'sim_no_answer');
      });
      return;
    }
    this.later(this.o.keyDelayMs, async () => {
      if (leg.status !== 'ringing') return;
      leg.heard = r.announcement.text;
      const key = behaviour === 'press1' ? '1' : '2';
      leg.pressed = key;
      const took = await this.reports.pressed(r.offerId, key);
      if (leg.status !== 'ringing') return;
      if (took) {
        leg.status = 'talking';
        leg.outcome = 'accepted';
        return;
      }
      leg.status = 'ended';
      leg.outcome = key === '1' ? 'too_late' : 'declined';
      await this.reports.ended(r.offerId, 'hung_up');
    });
  }

  async hangUp(offerId: string): Promise<void> {
    const leg = this.legs.get(offerId);
    if (!leg || leg.status === 'ended') return;
    leg.status = 'ended';
    leg.outcome ??= 'hung_up';
  }

  /** The simulated lawyer hangs up their phone during the conversation. False when not talking. */
  async agentHangsUp(offerId: string): Promise<boolean> {
    const leg = this.legs.get(offerId);
    if (!leg || leg.status !== 'talking') return false;
    leg.status = 'ended';
    await this.reports.agentLeft?.(offerId);
    await this.reports.ended(offerId, 'hung_up');
    return true;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn().catch((err) => this.log.error({ err }, 'simulated remote seat failed'));
    }, Math.max(0, ms));
    this.timers.add(timer);
  }
}
