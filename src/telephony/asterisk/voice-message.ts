import type { UserEvent } from './ami-events';
import { messageUrl } from './dialplan';

/**
 * Reads UserEvent(HotlineMessage, Step, Status, Duration) from [hotline-message]: the step it
 * answers, the message's URL (null when nothing usable was recorded) and its length, and whether
 * the caller hung up while recording (then nothing can be played to them any more).
 */
export function voiceMessage(e: UserEvent, callId: string): { step: number; url: string | null; seconds: number; hungUp: boolean } | null {
  const step = e.step !== undefined && /^\d{1,9}$/.test(e.step) ? Number(e.step) : null;
  if (step === null) return null;
  const status = typeof e.status === 'string' ? e.status.toUpperCase() : '';
  const seconds = typeof e.duration === 'string' && /^\d{1,6}$/.test(e.duration) ? Number(e.duration) : 0;
  // SKIP (channel not answered) and ERROR leave no file; the rest (DTMF, SILENCE, TIMEOUT, HANGUP) keep one.
  const recorded = status !== 'ERROR' && status !== 'SKIP' && status !== '' && seconds > 0;
  return { step, url: recorded ? messageUrl(callId, step) : null, seconds, hungUp: status === 'HANGUP' };
}
