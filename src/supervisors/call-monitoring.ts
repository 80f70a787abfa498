import { auditRepository } from '../audit/audit-repository';
import type { Actor } from '../auth/actor';
import { inScope } from '../auth/scope';
import type { Db } from '../db/database';
import { Errors } from '../errors/errors';
import type { Router } from '../queue/router';
import type { MonitorMode } from '../queue/types';
import type { RegionDirectory } from '../regions/region-directory';
import type { DriverCapabilities } from '../telephony/driver';

export interface CallMonitoringOptions {
  db: Db;
  router: Router;
  regions: RegionDirectory;
  /** The phone system's abilities for this call (null: the call is not in the flow). */
  capabilities: (callId: string) => Promise<DriverCapabilities | null>;
}

export interface MonitorView {
  callId: string;
  agentId: string;
  mode: MonitorMode | null;
}

/**
 * Supervisors joining agents' calls — listen, whisper (the agent alone hears them), barge — and
 * taking an agent off the phones. Allowed on calls of the supervisor's area (the caller's region or
 * the agent's seat); every use, and every refusal, is audited.
 */
export class CallMonitoring {
  private readonly audit;

  constructor(private readonly o: CallMonitoringOptions) {
    this.audit = auditRepository(o.db);
  }

  /** Starts, changes (mode) or stops (null) the supervisor's monitoring of a connected call. */
  async set(actor: Actor, callId: string, mode: MonitorMode | null, requestId?: string): Promise<MonitorView> {
    const call = this.o.router.liveCall(callId);
    if (!call || call.status !== 'connected' || !call.agentId) throw new Errors.CALL_NOT_CONNECTED(callId);
    const agent = this.o.router.liveAgent(call.agentId);
    const regions = [call.regionCode, ...(agent ? [agent.regionCode] : [])];
    if (!regions.some((r) => inScope(actor, r, this.o.regions))) {
      await this.audit.record({ actor, action: 'call.monitor.refused', entityType: 'call', entityId: callId, ...(requestId ? { requestId } : {}), details: { mode, regionCode: call.regionCode, agentId: call.agentId } });
      throw new Errors.OUT_OF_SCOPE(call.regionCode, actor.regionCode);
    }
    const current = call.monitor ?? null;
    if (current && current.supervisorId !== actor.id) {
      const other = await this.o.db.selectFrom('agents').select('username').where('id', '=', current.supervisorId).executeTakeFirst();
      throw new Errors.MONITORED_BY_OTHER(callId, other?.username ?? current.supervisorId);
    }
    const view = { callId, agentId: call.agentId, mode };
    if ((current?.mode ?? null) === mode) return view;
    if (mode && !(await this.o.capabilities(callId))?.monitor.includes(mode)) throw new Errors.MONITOR_UNSUPPORTED(callId, mode);
    const r = await this.o.router.monitor(callId, actor.id, mode);
    if (!r.ok) throw new Errors.CALL_NOT_CONNECTED(callId);
    await this.audit.record({ actor, action: mode ? 'call.monitor' : 'call.monitor.stop', entityType: 'call', entityId: callId, ...(requestId ? { requestId } : {}), details: { mode, previous: current?.mode ?? null, agentId: call.agentId, regionCode: call.regionCode } });
    return view;
  }

  /**
   * Takes a signed-in agent off the phones: not ready (a ringing offer goes back to the queue) or
   * signed out. A call in progress is not cut: it ends as usual first.
   */
  async setAgentState(actor: Actor, agentId: string, state: 'not_ready' | 'offline', requestId?: string): Promise<void> {
    const agent = this.o.router.liveAgent(agentId);
    if (!agent || agent.state === 'offline') throw new Errors.AGENT_NOT_SIGNED_IN(agentId);
    if (!inScope(actor, agent.regionCode, this.o.regions)) {
      await this.audit.record({ actor, action: 'agent.state.refused', entityType: 'agent', entityId: agentId, ...(requestId ? { requestId } : {}), details: { state } });
      throw new Errors.OUT_OF_SCOPE(agent.regionCode, actor.regionCode);
    }
    const r = state === 'offline' ? await this.o.router.logout(agentId) : await this.o.router.setNotReady(agentId, 'supervisor');
    if (!r.ok) throw new Errors.AGENT_NOT_SIGNED_IN(agentId);
    await this.audit.record({ actor, action: 'agent.state.forced', entityType: 'agent', entityId: agentId, ...(requestId ? { requestId } : {}), details: { state, from: agent.state } });
  }
}
