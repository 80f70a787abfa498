import type { SessionBus } from '../../src/agents/gateway/session-bus';
import { eventually } from '../support/tcp-proxy';

/** One live desktop per agent: what every session bus must do, on one node or across several. */
export function sessionBusContract(name: string, make: () => Promise<{ a: SessionBus; b: SessionBus; close: () => Promise<void> }>) {
  describe(name, () => {
    it("tells every node, including the claimant's own, which session now belongs to the agent", async () => {
      const { a, b, close } = await make();
      try {
        const seenA: string[] = [];
        const seenB: string[] = [];
        a.onClaim((agentId, sessionId) => seenA.push(`${agentId}/${sessionId}`));
        b.onClaim((agentId, sessionId) => seenB.push(`${agentId}/${sessionId}`));
        await a.claim('agent-1', 'session-2');
        expect(await eventually(async () => seenA.includes('agent-1/session-2') && seenB.includes('agent-1/session-2'), 3_000, 10)).toBe(true);
        await b.claim('agent-2', 'session-9');
        expect(await eventually(async () => seenA.includes('agent-2/session-9'), 3_000, 10)).toBe(true);
      } finally {
        await close();
      }
    });

    it('tells every node that an account was revoked, with its new token version', async () => {
      const { a, b, close } = await make();
      try {
        const seenA: string[] = [];
        const seenB: string[] = [];
        a.onRevoke((r) => seenA.push(`${r.accountId}@${r.tokenVersion}`));
        b.onRevoke((r) => seenB.push(`${r.accountId}@${r.tokenVersion}`));
        const claims: string[] = [];
        b.onClaim((agentId) => claims.push(agentId));
        await a.revoke({ accountId: 'agent-7', tokenVersion: 3 });
        expect(await eventually(async () => seenA.includes('agent-7@3') && seenB.includes('agent-7@3'), 3_000, 10)).toBe(true);
        // A revocation is not a claim.
        expect(claims).toEqual([]);
      } finally {
        await close();
      }
    });

    it('stops announcing after close', async () => {
      const { a, b, close } = await make();
      const seen: string[] = [];
      b.onClaim((agentId) => seen.push(agentId));
      await b.close();
      await a.claim('agent-3', 's');
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).toEqual([]);
      await close();
    });
  });
}
