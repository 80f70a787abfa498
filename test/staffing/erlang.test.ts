import { agentsForTarget, erlangB, erlangC, erlangCWait } from '../../src/staffing/erlang';
import { erlangA } from '../../src/staffing/erlang-a';
import { exactErlangCWait } from './exact';

// Loads given as calls in a half-hour with a 180 s handle time: 10 calls = 1 Erlang.
const load = (erlangs: number) => ({ calls: erlangs * 10, intervalSeconds: 1800, ahtSeconds: 180 });

describe('Erlang C', () => {
  it('matches the published table for 10 Erlangs (P(wait): 11 agents 0.6821, 12 0.4494, 13 0.2853, 14 0.1741, 15 0.1020)', () => {
    const table: [number, number][] = [[11, 0.6821], [12, 0.4494], [13, 0.2853], [14, 0.1741], [15, 0.102]];
    for (const [n, pw] of table) {
      expect(erlangCWait(n, 10)).toBeCloseTo(pw, 4);
      expect(erlangC({ ...load(10), agents: n, thresholdSeconds: 20 }).probabilityOfWait).toBeCloseTo(pw, 4);
    }
  });

  it('matches an exact BigInt summation to 1e-10 from 1 to 2,100 agents and up to 2,000 Erlangs', () => {
    // [agents, load as p/q Erlangs]
    const cases: [number, number, number][] = [[1, 1, 2], [3, 5, 2], [11, 10, 1], [30, 25, 1], [250, 461, 2], [400, 390, 1], [1000, 950, 1], [2100, 2000, 1]];
    for (const [n, p, q] of cases) {
      const exact = exactErlangCWait(n, p, q);
      const got = erlangCWait(n, p / q);
      expect(Number.isFinite(got)).toBe(true);
      expect(Math.abs(got - exact)).toBeLessThan(1e-10 * Math.max(1, exact));
    }
  });

  it('gives service level and ASA from the exact P(wait) by the textbook formulas, finite for thousands of Erlangs', () => {
    for (const [n, a] of [[11, 10], [260, 230], [2100, 2000], [5200, 5000]] as const) {
      const r = erlangC({ ...load(a), agents: n, thresholdSeconds: 20 });
      const pw = n <= 2100 ? exactErlangCWait(n, a) : r.probabilityOfWait;
      for (const x of [r.probabilityOfWait, r.serviceLevel, r.asa, r.occupancy]) expect(Number.isFinite(x)).toBe(true);
      expect(r.serviceLevel).toBeCloseTo(1 - pw * Math.exp((-(n - a) * 20) / 180), 9);
      expect(r.asa).toBeCloseTo((pw * 180) / (n - a), 8);
      expect(r.occupancy).toBeCloseTo(a / n, 12);
      expect(r.note).toBeNull();
    }
  });

  it('keeps Erlang B within [0, 1] for thousands of agents (no overflow)', () => {
    for (const [n, a] of [[5000, 4800], [10000, 12000], [3000, 1]] as const) {
      const b = erlangB(n, a);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(1);
    }
  });

  it('gives service level 0 with a clear note, not NaN, for a load at or above the agents', () => {
    for (const [n, a] of [[10, 10], [10, 12.5], [500, 2000], [0, 3]] as const) {
      const r = erlangC({ ...load(a), agents: n, thresholdSeconds: 20 });
      expect(r.serviceLevel).toBe(0);
      expect(r.probabilityOfWait).toBe(1);
      expect(Number.isNaN(r.asa)).toBe(false);
      expect(r.note).toMatch(/at or above the agents/);
    }
  });

  it('never lowers the service level when agents are added (Erlang C and Erlang A, over a grid)', () => {
    for (const a of [0.3, 2, 9.5, 47, 230, 1800]) {
      for (const threshold of [0, 20, 60]) {
        let prevC = -1;
        let prevA = -1;
        const top = Math.ceil(a * 1.3 + 8);
        for (let n = Math.max(0, Math.floor(a * 0.7) - 3); n <= top; n += Math.max(1, Math.floor(a / 40))) {
          const c = erlangC({ ...load(a), agents: n, thresholdSeconds: threshold }).serviceLevel;
          const e = erlangA({ ...load(a), agents: n, thresholdSeconds: threshold, patienceSeconds: 90 }).serviceLevel;
          expect(c).toBeGreaterThanOrEqual(prevC - 1e-12);
          expect(e).toBeGreaterThanOrEqual(prevA - 1e-12);
          prevC = c;
          prevA = e;
        }
      }
    }
  });

  it('finds the fewest agents for a target, and schedules for shrinkage', () => {
    const r = agentsForTarget({ ...load(10), targetServiceLevel: 0.8, thresholdSeconds: 20, shrinkage: 0.3 });
    expect(r.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(erlangC({ ...load(10), agents: r.agents - 1, thresholdSeconds: 20 }).serviceLevel).toBeLessThan(0.8);
    expect(r.scheduled).toBe(Math.ceil(r.agents / 0.7));
  });
});
