import type { Migration } from 'kysely';
import * as initial from './0001_initial';
import * as callFlow from './0002_call_flow';
import * as referrals from './0003_referrals';
import * as accountSecurity from './0004_account_security';
import * as durableRecords from './0005_durable_records';
import * as missedCallCallbacks from './0006_missed_call_callbacks';
import * as callbackDialOutcomes from './0007_callback_dial_outcomes';
import * as voiceMessages from './0008_voice_messages';
import * as forwardFailedCallbacks from './0009_forward_failed_callbacks';
import * as remoteSeats from './0010_remote_seats';
import * as ticketTypes from './0011_ticket_types';
import * as followUpsQuality from './0012_follow_ups_quality';
import * as rosters from './0013_rosters';
import * as knowledgeBase from './0014_knowledge_base';
import * as knowledgeShippedKeys from './0015_knowledge_shipped_keys';

/**
 * Listed explicitly rather than read from the folder, so the same list works from TypeScript
 * sources (tests, tsx) and from the compiled build. Names sort in the order they apply.
 */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_call_flow': callFlow,
  '0003_referrals': referrals,
  '0004_account_security': accountSecurity,
  '0005_durable_records': durableRecords,
  '0006_missed_call_callbacks': missedCallCallbacks,
  '0007_callback_dial_outcomes': callbackDialOutcomes,
  '0008_voice_messages': voiceMessages,
  '0009_forward_failed_callbacks': forwardFailedCallbacks,
  '0010_remote_seats': remoteSeats,
  '0011_ticket_types': ticketTypes,
  '0012_follow_ups_quality': followUpsQuality,
  '0013_rosters': rosters,
  '0014_knowledge_base': knowledgeBase,
  '0015_knowledge_shipped_keys': knowledgeShippedKeys,
};
