import { erlangC } from '../../src/staffing/erlang';
import { agentsForTargetA, erlangA } from '../../src/staffing/erlang-a';
import { directErlangA, logErlangA, tagAnsweredWithin } from './exact';

const AHT = 180;
const load = (erlangs: number) => ({ calls: erlangs * 10, intervalSeconds: 1800, ahtSeconds: AHT });

describe('Erlang A (M/M/n+M)', () => {
  it('matches a direct birth–death solution and a time integration of the waiting caller for small n (1e-6)', () => {
    const cases = [
      { n: 1, a: 0.8, patience: 30, t: 10 },
      { n: 3, a: 2.5, patience: 60, t: 20 },
      { n: 5, a: 6, patience: 120, t: 20 }, // load above the agents
      { n: 8, a: 7.2, patience: 300, t: 30 },
    ];
    for (const { n, a, patience, t } of cases) {
      const mu = 1 / AHT;
      const theta = 1 / patience;
      const ref = directErlangA(n, a * mu, mu, theta);
      const tagged = tagAnsweredWithin(ref.pi, n, mu, theta, t);
      const r = erlangA({ ...load(a), agents: n, thresholdSeconds: t, patienceSeconds: patience });
      expect(r.probabilityOfWait).toBeCloseTo(ref.pWait, 9);
      expect(r.probabilityOfAbandon).toBeCloseTo(ref.pAbandon, 9);
      // Answered = 1 − abandoned, two ways.
      expect(tagged.answered).toBeCloseTo(1 - ref.pAbandon, 6);
      expect(r.serviceLevel).toBeCloseTo(tagged.serviceLevel, 6);
      expect(Math.abs(r.asa - tagged.asa)).toBeLessThan(1e-4 * Math.max(1, tagged.asa));
      expect(r.occupancy).toBeCloseTo((a * (1 - ref.pAbandon)) / n, 9);
    }
  });

  it('matches an independent log-space chain for hundreds of agents and thousands of Erlangs, with no NaN or Infinity', () => {
    const cases = [
      { n: 500, a: 480, patience: 120, t: 20, states: 1200 },
      { n: 2000, a: 2100, patience: 90, t: 20, states: 3000 },
      { n: 300, a: 600, patience: 60, t: 20, states: 2500 }, // twice the agents' capacity
    ];
    for (const { n, a, patience, t, states } of cases) {
      const r = erlangA({ ...load(a), agents: n, thresholdSeconds: t, patienceSeconds: patience });
      for (const x of [r.probabilityOfWait, r.serviceLevel, r.asa, r.occupancy, r.probabilityOfAbandon]) expect(Number.isFinite(x)).toBe(true);
      const ref = logErlangA(n, a, AHT / patience, states);
      expect(r.probabilityOfWait).toBeCloseTo(ref.pWait, 8);
      expect(r.probabilityOfAbandon).toBeCloseTo(ref.pAbandon, 8);
      const tagged = tagAnsweredWithin(ref.pi.slice(0, n + 400), n, 1 / AHT, 1 / patience, t);
      expect(r.serviceLevel).toBeCloseTo(tagged.serviceLevel, 5);
      expect(Math.abs(r.asa - tagged.asa)).toBeLessThan(1e-3 * Math.max(1, tagged.asa));
    }
  });

  it('keeps the queue finite at or above the agents: numbers, not NaN, with a note', () => {
    for (const [n, a] of [[10, 10], [10, 30], [1, 50], [200, 5000]] as const) {
      const r = erlangA({ ...load(a), agents: n, thresholdSeconds: 20, patienceSeconds: 60 });
      for (const x of [r.probabilityOfWait, r.serviceLevel, r.asa, r.occupancy, r.probabilityOfAbandon]) {
        expect(Number.isNaN(x)).toBe(false);
        expect(Number.isFinite(x)).toBe(true);
      }
      expect(r.probabilityOfAbandon).toBeGreaterThan(0);
      expect(r.note).toMatch(/at or above the agents/);
    }
    // Carried load cannot exceed the agents: abandonment at least 1 − n/a.
    const over = erlangA({ ...load(30), agents: 10, thresholdSeconds: 20, patienceSeconds: 60 });
    expect(over.probabilityOfAbandon).toBeGreaterThanOrEqual(1 - 10 / 30 - 1e-9);
  });

  it('abandonment rises with load and falls with agents', () => {
    let prev = -1;
    for (const a of [2, 5, 8, 10, 12, 15, 25]) {
      const p = erlangA({ ...load(a), agents: 10, thresholdSeconds: 20, patienceSeconds: 120 }).probabilityOfAbandon;
      expect(p).toBeGreaterThan(prev);
      prev = p;
    }
    prev = 2;
    for (let n = 5; n <= 20; n++) {
      const p = erlangA({ ...load(10), agents: n, thresholdSeconds: 20, patienceSeconds: 120 }).probabilityOfAbandon;
      expect(p).toBeLessThan(prev);
      prev = p;
    }
  });

  it('approaches Erlang C as patience grows', () => {
    for (const [n, a] of [[11, 10], [35, 30], [260, 240]] as const) {
      const c = erlangC({ ...load(a), agents: n, thresholdSeconds: 20 });
      let gap = Infinity;
      for (const patience of [600, 6_000, 600_000]) {
        const r = erlangA({ ...load(a), agents: n, thresholdSeconds: 20, patienceSeconds: patience });
        const g = Math.abs(r.serviceLevel - c.serviceLevel) + Math.abs(r.probabilityOfWait - c.probabilityOfWait);
        expect(g).toBeLessThan(gap);
        gap = g;
      }
      const far = erlangA({ ...load(a), agents: n, thresholdSeconds: 20, patienceSeconds: 1e8 });
      expect(far.serviceLevel).toBeCloseTo(c.serviceLevel, 4);
      expect(far.probabilityOfWait).toBeCloseTo(c.probabilityOfWait, 4);
      expect(Math.abs(far.asa - c.asa) / c.asa).toBeLessThan(1e-3);
      expect(far.probabilityOfAbandon).toBeLessThan(1e-4);
    }
    expect(erlangA({ ...load(10), agents: 11, thresholdSeconds: 20, patienceSeconds: Infinity }).serviceLevel).toBe(erlangC({ ...load(10), agents: 11, thresholdSeconds: 20 }).serviceLevel);
  });

  it('finds the fewest agents for a target, fewer than Erlang C needs when callers hang up', () => {
    const input = { ...load(30), targetServiceLevel: 0.8, thresholdSeconds: 20, patienceSeconds: 120, shrinkage: 0.25 };
    const r = agentsForTargetA(input);
    expect(r.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(erlangA({ ...input, agents: r.agents - 1 }).serviceLevel).toBeLessThan(0.8);
    expect(r.scheduled).toBe(Math.ceil(r.agents / 0.75));
    const c = erlangC({ ...load(30), agents: r.agents, thresholdSeconds: 20 });
    expect(c.serviceLevel).toBeLessThanOrEqual(r.serviceLevel);
  });
});
