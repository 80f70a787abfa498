// @ts-check
/**
 * The ringing offer: who is calling (number, region, language, topic, earlier tickets), the
 * countdown, accept and decline, and the ring tone while it rings.
 */

import { has, t } from './i18n.js';
import { regionLabel } from './labels.js';
import { serverNow, STORAGE } from './model.js';
import { minutesSeconds, setText, show } from './view.js';
import { $ } from '/common/dom.js';
import { writeSession } from '/common/session.js';

/**
 * @typedef {import('./model.js').Desk} Desk
 * @typedef {import('./types.js').OfferView} OfferView
 * @typedef {import('./types.js').Frame} Frame
 */

/**
 * @param {Desk} desk
 * @param {object} hooks
 * @param {ReturnType<typeof import('./audio.js').createRinger>} hooks.ringer
 * @param {(list: HTMLElement, items: import('./types.js').HistoryItem[] | undefined, emptyKey: string) => void} hooks.renderHistoryList
 * @param {() => void} hooks.onNewCall an offer of another call: the previous ticket is put away
 * @param {() => void} hooks.renderAll
 */
export function createOfferPanel(desk, { ringer, renderHistoryList, onNewCall, renderAll }) {
  const { model, labels } = desk;

  /**
   * @param {OfferView} offer
   * @param {boolean} accepted the agent accepted it before a reload
   */
  function set(offer, accepted) {
    if (model.offer?.offerId !== offer.offerId) onNewCall();
    model.offer = offer;
    model.offerAccepted = accepted;
    model.lastOfferId = offer.offerId;
    model.cancelNoticeFor = null;
    if (accepted) ringer.stop();
    else ringer.start();
  }

  function clear() {
    model.offer = null;
    model.offerAccepted = false;
    writeSession(STORAGE.acceptedOffer, null);
    ringer.stop();
  }

  /** The offer is over (cancelled, taken elsewhere, timed out): the voice leg is not expected any more. */
  function withdraw() {
    clear();
    desk.audio()?.callNotExpected();
    render();
    renderTitle();
  }

  /** @param {OfferView} offer */
  function onOffer(offer) {
    set(offer, false);
    renderAll();
    $('accept').focus(); // Enter or Space answers
  }

  /** @param {Frame} frame */
  function onCancelled(frame) {
    if (frame.offerId === model.offer?.offerId) {
      clear();
      desk.audio()?.callNotExpected();
    }
    // Also when the countdown already hid the offer: the agent should learn where it went.
    if (frame.offerId === model.lastOfferId && model.cancelNoticeFor !== frame.offerId) {
      model.cancelNoticeFor = frame.offerId;
      const key = `cancelled.${frame.reason}`;
      desk.notify(has(key) ? { key } : { key: 'cancelled.other' }, frame.reason === 'declined' ? 'info' : 'warning');
    }
    renderAll();
  }

  function accept() {
    const offer = model.offer;
    if (!offer || model.offerAccepted) return;
    if (!desk.send('offer.accept', { offerId: offer.offerId })) return;
    model.offerAccepted = true;
    writeSession(STORAGE.acceptedOffer, offer.offerId);
    ringer.stop();
    desk.audio()?.callExpected();
    render();
    renderTitle();
  }

  function decline() {
    const offer = model.offer;
    if (!offer || model.offerAccepted) return;
    if (!desk.send('offer.decline', { offerId: offer.offerId })) return;
    clear();
    desk.audio()?.callNotExpected();
    renderAll();
  }

  /** The accept was refused: still ringing as far as the page knows, so the agent may try again or decline. */
  function acceptRefused() {
    model.offerAccepted = false;
    writeSession(STORAGE.acceptedOffer, null);
    desk.audio()?.callNotExpected();
    render();
  }

  function renderTitle() {
    const ringing = model.offer && !model.offerAccepted;
    document.title = t(ringing ? 'app.titleRinging' : 'app.title');
  }

  function render() {
    const offer = model.offer;
    show($('offer'), Boolean(offer));
    desk.renderLayout();
    if (!offer) return;
    const call = offer.call;
    show($('offer-kind'), call.kind === 'callback');
    setText('offer-number', call.callerNumber);
    $('offer-number').title = call.callerNumber ?? '';
    setText('offer-region', regionLabel(call.region));
    setText('offer-language', labels.catalogueLabel('languages', call.language));
    setText('offer-topic', labels.catalogueLabel('topics', call.topic));
    renderHistoryList($('offer-history'), call.history, 'offer.noHistory');
    $('accept').disabled = model.offerAccepted;
    $('decline').disabled = model.offerAccepted;
    show($('offer-countdown-row'), !model.offerAccepted);
    const status = $('offer-status');
    status.textContent = model.offerAccepted ? t('offer.connecting') : '';
    status.hidden = !model.offerAccepted;
  }

  /** The countdown and the caller's wait. */
  function tick() {
    const offer = model.offer;
    if (!offer) return;
    const now = serverNow(model);
    const left = Math.ceil((offer.expiresAt - now) / 1000);
    if (!model.offerAccepted && left <= 0) {
      // The server's offer.cancelled may be late or lost; the offer is over either way.
      withdraw();
    } else {
      setText('offer-countdown', Math.max(0, left));
      setText('offer-wait', minutesSeconds((now - offer.call.enqueuedAt) / 1000));
    }
  }

  function wire() {
    $('accept').addEventListener('click', accept);
    $('decline').addEventListener('click', decline);
  }

  return { set, clear, withdraw, onOffer, onCancelled, acceptRefused, render, renderTitle, tick, wire };
}
