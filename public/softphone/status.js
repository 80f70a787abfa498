// @ts-check
/**
 * The agent's routing state: the badge and how long it has held, ready / not ready with a
 * reason, and the wrap-up bar (its countdown, more time, done).
 */

import { t } from './i18n.js';
import { serverNow } from './model.js';
import { fillSelect, minutesSeconds, setText, show } from './view.js';
import { $ } from '/common/dom.js';

/**
 * Reasons an agent may choose (protocol NOT_READY_REASONS). The catalogue also names the ones
 * only the server sets ('login', 'missed'), which state.set refuses.
 */
const SETTABLE_REASONS = ['break', 'meal', 'training', 'other'];
const BUSY_STATES = ['reserved', 'on_call', 'wrap_up'];
const WRAP_UP_EXTENSION_SECONDS = 60;

/**
 * @param {import('./model.js').Desk} desk
 * @param {{ beforeWrapUpEnds: () => void }} hooks the ticket is saved before the agent moves on
 */
export function createStatusPanel(desk, { beforeWrapUpEnds }) {
  const { model, labels } = desk;

  const goReady = () => desk.send('state.set', { state: 'ready' });

  function goNotReady() {
    const reason = $('not-ready-reason').value;
    desk.send('state.set', reason ? { state: 'not_ready', reason } : { state: 'not_ready' });
  }

  /** @param {'ready' | 'not_ready'} next */
  function endWrapUp(next) {
    beforeWrapUpEnds();
    desk.send('wrapup.end', { next });
  }

  /** Whether the agent is taken by a call (ringing, talking or wrapping up). */
  const busy = () => BUSY_STATES.includes(model.state?.state ?? '');

  function renderReasons() {
    fillSelect(
      $('not-ready-reason'),
      SETTABLE_REASONS.map((code) => ({ value: code, label: labels.reasonLabel(code) })),
    );
  }

  function render() {
    const state = model.state;
    const code = state?.state ?? 'offline';
    const el = $('agent-state');
    el.dataset.state = code;
    el.textContent = labels.stateLabel(code, state?.reason);
    $('go-ready').disabled = busy() || code === 'ready';
    $('go-not-ready').disabled = busy();
    $('not-ready-reason').disabled = busy();
  }

  function renderWrapup() {
    show($('wrapup'), model.state?.state === 'wrap_up');
  }

  function tick() {
    const now = serverNow(model);
    const state = model.state;
    if (state?.state === 'wrap_up') {
      setText('wrapup-countdown', state.wrapUpEndsAt == null ? null : Math.max(0, Math.ceil((state.wrapUpEndsAt - now) / 1000)));
    }
    $('state-since').textContent = state?.since ? t('state.since', { time: minutesSeconds((now - state.since) / 1000) }) : '';
  }

  function wire() {
    $('go-ready').addEventListener('click', goReady);
    $('go-not-ready').addEventListener('click', goNotReady);
    $('wrapup-end').addEventListener('click', () => endWrapUp('ready'));
    $('wrapup-not-ready').addEventListener('click', () => endWrapUp('not_ready'));
    $('wrapup-extend').addEventListener('click', () => desk.send('wrapup.extend', { seconds: WRAP_UP_EXTENSION_SECONDS }));
  }

  return { busy, render, renderReasons, renderWrapup, tick, wire };
}
