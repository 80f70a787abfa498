// @ts-check
/**
 * The call strip, pinned at the top of the work column while on a call: who is calling, the
 * timer, hold and hang-up, a callback's result, and the second leg (the holder's leg panel, or
 * the banner of a colleague asked into the call). Transfer and interpreter controls are
 * transfer.js's.
 */

import { has, t } from './i18n.js';
import { regionLabel } from './labels.js';
import { serverNow } from './model.js';
import { setText, show, timerText } from './view.js';
import { $ } from '/common/dom.js';

/**
 * @typedef {import('./model.js').Desk} Desk
 * @typedef {import('./types.js').Frame} Frame
 * @typedef {import('./types.js').Leg} Leg
 */

const LEG_ACTIONS = ['complete', 'merge', 'cancel', 'drop'];

/**
 * @param {Desk} desk
 * @param {{ renderControls: () => void }} hooks the transfer and interpreter controls follow the call
 */
export function createCallStrip(desk, { renderControls }) {
  const { model, labels } = desk;

  /** Whom a leg reaches, as the agent reads it: a colleague's name, a region's or language's advisers, a number. @param {Leg} leg */
  function legTargetLabel(leg) {
    /** @type {Partial<{ agentId: string, region: string, language: string, number: string }>} */
    const to = leg.to ?? {};
    const agentId = leg.agentId ?? to.agentId;
    if (agentId) return labels.colleagueName(agentId);
    if (to.region) return t('leg.target.region', { name: labels.regionNameOf(to.region) });
    if (to.language) return t('leg.target.language', { name: labels.catalogueLabel('languages', to.language) });
    return to.number ?? t('common.none');
  }

  function toggleHold() {
    const call = model.call;
    if (!call) return;
    const hold = !call.held;
    if (desk.send(hold ? 'call.hold' : 'call.unhold', { callId: call.callId })) desk.audio()?.hold(hold);
  }

  function hangup() {
    const call = model.call;
    if (!call) return;
    if (desk.send('call.hangup', { callId: call.callId })) desk.audio()?.hangup();
  }

  /** @param {string} action */
  function legAction(action) {
    const call = model.call;
    if (call?.secondLeg) desk.send('call.leg', { callId: call.callId, action });
  }

  /** A callback is a promise: the agent says whether the caller was reached, or it is tried again. @param {string} result */
  function reportCallbackResult(result) {
    const call = model.call ?? model.lastCall;
    if (!call || call.kind !== 'callback') return;
    if (desk.send('callback.result', { callId: call.callId, result }) !== null) desk.notify({ key: `callback.result.sent.${result}` }, 'info');
  }

  /**
   * A second leg changed. The agent holding the call follows it on the leg panel; the colleague on
   * the leg sees their part (merged into a three-way call). A completed consult ends the holder's
   * part (call.ended follows) and hands the colleague the call (call.connected follows).
   * @param {Frame} frame
   */
  function onLegChanged(frame) {
    const call = model.call;
    if (!call) return;
    if (call.callId === frame.callId) {
      const over = frame.phase === 'closed' || frame.phase === 'completed';
      model.call = { ...call, secondLeg: over ? null : frame.leg };
      if (frame.phase === 'closed' && frame.reason) desk.notify({ key: `leg.closed.${frame.reason}` }, frame.reason === 'cancelled' || frame.reason === 'dropped' ? 'info' : 'warning');
      if (frame.phase === 'completed') desk.notify({ key: 'leg.completed', params: { target: legTargetLabel(frame.leg) } }, 'info');
    } else if (call.kind === 'leg' && call.callId === frame.leg.legId) {
      model.call = { ...call, legState: frame.leg.state };
      if (frame.phase === 'completed') desk.notify({ key: 'leg.handedOver' }, 'info');
    }
    render();
  }

  /** @param {Frame} frame */
  function onHeld(frame) {
    const call = model.call;
    if (!call || call.callId !== frame.callId) return;
    model.call = { ...call, held: Boolean(frame.held) };
    render();
  }

  // A transfer to an outside number stays the agent's call until the number answers: the agent
  // knows it is being dialled, and hears the caller again if it fails.
  /** @param {Frame} frame */
  function onForwarding(frame) {
    if (model.call?.callId !== frame.callId) return;
    desk.notify({ key: 'call.forwarding', params: { number: frame.number } }, 'info');
  }

  /** @param {Frame} frame */
  function onForwardFailed(frame) {
    if (model.call?.callId !== frame.callId) return;
    const key = `forward.status.${frame.status}`;
    desk.notify({ key: 'call.forwardFailed', params: { number: frame.number, reason: has(key) ? t(key) : frame.status } }, 'warning');
  }

  function render() {
    const call = model.call;
    show($('call'), Boolean(call));
    desk.renderLayout();
    const hold = $('hold');
    hold.textContent = t(call?.held ? 'call.unhold' : 'call.hold');
    hold.setAttribute('aria-pressed', String(Boolean(call?.held)));
    for (const id of ['hold', 'hangup']) $(id).disabled = !call;
    renderControls();
    renderLeg();
    if (!call) return;
    $('call').classList.toggle('is-held', Boolean(call.held));
    show($('call-held'), Boolean(call.held));
    setText('call-number', call.callerNumber);
    $('call-number').title = call.callerNumber ?? '';
    setText('call-region', regionLabel(call.region));
    setText('call-language', labels.catalogueLabel('languages', call.language));
    setText('call-topic', labels.catalogueLabel('topics', call.topic));
    show($('callback-result'), call.kind === 'callback');
  }

  /** The holder's leg panel (status and the choices that apply now), or the colleague's banner on a leg. */
  function renderLeg() {
    const call = model.call;
    const leg = call?.secondLeg ?? null;
    const onLeg = call?.kind === 'leg' ? call.leg : null;
    show($('leg-panel'), Boolean(leg));
    show($('leg-banner'), Boolean(onLeg));
    if (call && onLeg) {
      const from = labels.colleagueName(onLeg.fromAgentId);
      const key = call.legState === 'merged' && onLeg.purpose === 'consult' ? 'leg.asked.merged' : `leg.asked.${onLeg.purpose}`;
      setText('leg-banner', t(key, { name: from, language: labels.catalogueLabel('languages', call.language) }));
    }
    if (!leg) return;
    setText('leg-status', t(`leg.status.${leg.purpose}.${leg.state}`, { target: legTargetLabel(leg) }));
    const consult = leg.purpose === 'consult';
    show($('leg-complete'), consult && leg.state !== 'ringing');
    show($('leg-merge'), consult && leg.state === 'talking');
    show($('leg-cancel'), leg.state !== 'merged');
    show($('leg-drop'), leg.state === 'merged');
  }

  function tick() {
    if (!model.call) return;
    const now = serverNow(model);
    const since = model.call.answeredAt ?? now;
    setText('call-timer', timerText((now - since) / 1000));
  }

  function wire() {
    $('hold').addEventListener('click', toggleHold);
    $('hangup').addEventListener('click', hangup);
    for (const b of document.querySelectorAll('#callback-result [data-result]')) {
      const button = /** @type {HTMLElement} */ (b);
      button.addEventListener('click', () => reportCallbackResult(button.dataset.result ?? ''));
    }
    for (const action of LEG_ACTIONS) $(`leg-${action}`).addEventListener('click', () => legAction(action));
  }

  return { onLegChanged, onHeld, onForwarding, onForwardFailed, render, renderLeg, tick, wire };
}
