// @ts-check
/**
 * The ticket form of the call: written from the server's ticket frames without overwriting what
 * the agent is typing, saved on demand (保存工单, Ctrl+S) and a few seconds after the last
 * edit, and saved once more before it is put away (a new call, wrap-up ends, the tab closes).
 */

import { pick, t } from './i18n.js';
import { clockTime, fillSelect, show, textOf } from './view.js';
import { $ } from '/common/dom.js';

const AUTOSAVE_DELAY_MS = 5_000;

/** The form field of each ticket value. */
const TICKET_INPUTS = {
  type: 'ticket-type',
  topic: 'ticket-topic',
  summary: 'ticket-summary',
  advice: 'ticket-advice',
  outcome: 'ticket-outcome',
  riskFlag: 'ticket-risk',
};

/** @typedef {keyof typeof TICKET_INPUTS} TicketField */
/** @typedef {{ type: string | null, topic: string | null, summary: string, advice: string, outcome: string | null, riskFlag: boolean }} TicketValues */

/** The form of a ticket not opened yet: every ticket is a consultation until the agent picks another type. */
/** @type {TicketValues} */
const EMPTY_TICKET = { type: 'consultation', topic: null, summary: '', advice: '', outcome: null, riskFlag: false };

/**
 * @typedef {object} TicketFormState
 * @property {string | null} ticketId
 * @property {string | null} number
 * @property {string | null} callId
 * @property {Set<TicketField>} dirty fields the agent changed since the last save the server confirmed
 * @property {Map<string, { ticketId: string, values: TicketValues }>} inFlight saves not answered yet, by ref
 * @property {ReturnType<typeof setTimeout> | undefined} autosaveTimer
 * @property {string | null} savedAt
 * @property {import('./types.js').Text | null} error
 */

/** @returns {TicketFormState} */
function freshTicketForm() {
  return { ticketId: null, number: null, callId: null, dirty: new Set(), inFlight: new Map(), autosaveTimer: undefined, savedAt: null, error: null };
}

/** @returns {TicketValues} */
function readTicketValues() {
  return {
    type: $('ticket-type').value || null,
    topic: $('ticket-topic').value || null,
    summary: $('ticket-summary').value,
    advice: $('ticket-advice').value,
    outcome: $('ticket-outcome').value || null,
    riskFlag: $('ticket-risk').checked,
  };
}

/**
 * @param {import('./model.js').Desk} desk
 * @param {object} hooks
 * @param {() => void} hooks.onReset the form was put away (the referral panel goes with it)
 * @param {(ticketId: string) => void} hooks.onApplied the form shows this ticket now
 * @param {() => void} hooks.onRender the form changed (panels beside it follow)
 */
export function createTicketForm(desk, { onReset, onApplied, onRender }) {
  const { model } = desk;
  let form = freshTicketForm();

  /** Writes ticket values into the form, leaving alone the fields the agent is editing. */
  function writeFields(/** @type {Partial<TicketValues>} */ ticket, { force = false } = {}) {
    for (const [field, id] of /** @type {[TicketField, string][]} */ (Object.entries(TICKET_INPUTS))) {
      if (!force && form.dirty.has(field)) continue;
      const el = $(id);
      const value = ticket[field];
      if (field === 'riskFlag') {
        el.checked = Boolean(value);
      } else if (el.tagName === 'SELECT') {
        el.value = value ?? '';
        if (el.value !== (value ?? '')) el.value = ''; // a code the catalogue does not offer
      } else {
        el.value = value ?? '';
      }
    }
  }

  /** The ticket the form edits, as other panels need it (null before the server opened one). */
  function current() {
    return form.ticketId ? { id: form.ticketId, number: form.number, callId: form.callId } : null;
  }

  /** @param {import('./types.js').TicketView | null | undefined} ticket */
  function apply(ticket) {
    if (!ticket) return;
    if (form.ticketId && form.ticketId !== ticket.id) reset();
    form.ticketId = ticket.id;
    form.number = ticket.number;
    form.callId = ticket.callId ?? form.callId;
    writeFields(ticket);
    // Whatever the agent typed before the ticket existed is saved now that it can be.
    resumeAutosave();
    onApplied(ticket.id);
  }

  /** Puts the form away without saving (signing out, or after flush()). */
  function reset() {
    clearTimeout(form.autosaveTimer);
    form = freshTicketForm();
    writeFields(EMPTY_TICKET, { force: true });
    onReset();
  }

  /** A call other than the form's: the form's ticket is saved if edited, then put away. @param {string} callId */
  function leaveOtherCall(callId) {
    if (!form.callId || form.callId === callId) return;
    flush();
    reset();
  }

  /** @param {TicketField} field */
  function edited(field) {
    form.dirty.add(field);
    form.error = null;
    render();
    scheduleAutosave();
  }

  function scheduleAutosave() {
    clearTimeout(form.autosaveTimer);
    const talking = model.call || model.state?.state === 'wrap_up';
    if (!talking || !form.ticketId) return;
    form.autosaveTimer = setTimeout(() => save({ quiet: true }), AUTOSAVE_DELAY_MS);
  }

  /** Edits not saved yet (e.g. lost with the previous socket) are sent again. */
  function resumeAutosave() {
    if (form.dirty.size) scheduleAutosave();
  }

  function save({ quiet = false } = {}) {
    clearTimeout(form.autosaveTimer);
    if (!form.ticketId) return;
    const values = readTicketValues();
    /** @type {Record<string, unknown>} */
    const fields = { summary: values.summary, advice: values.advice, outcome: values.outcome, riskFlag: values.riskFlag };
    // topic and type are not nullable in the protocol: an unset one is simply not sent.
    if (values.topic) fields.topic = values.topic;
    if (values.type) fields.type = values.type;
    const ref = desk.send('ticket.save', { ticketId: form.ticketId, fields }, { quiet });
    if (!ref) return;
    form.inFlight.set(ref, { ticketId: form.ticketId, values });
    form.error = null;
    render();
  }

  /** Saves pending edits before the form is cleared or the agent leaves. */
  function flush() {
    if (form.ticketId && form.dirty.size) save({ quiet: true });
  }

  /** @param {string | undefined} ref */
  function onSaved(ref) {
    const sent = ref == null ? undefined : form.inFlight.get(ref);
    if (ref != null) form.inFlight.delete(ref);
    // A ref the form does not know belongs to a save of the previous ticket (the form was reset).
    if (ref != null && !sent) return;
    if (sent && sent.ticketId !== form.ticketId) return;
    if (sent) {
      // Fields changed again while the save was on its way stay dirty.
      const now = readTicketValues();
      for (const field of [...form.dirty]) {
        if (now[field] === sent.values[field]) form.dirty.delete(field);
      }
    }
    form.savedAt = clockTime(new Date());
    form.error = null;
    render();
  }

  /**
   * A refused save is shown next to the form, where the agent is looking.
   * @param {string | undefined} ref
   * @param {import('./types.js').Text} text
   */
  function onSaveRefused(ref, text) {
    if (ref != null) form.inFlight.delete(ref);
    form.error = text;
    render();
  }

  /** The socket was lost: its saves will never be answered, their edits stay marked unsaved. */
  function forgetInFlight() {
    if (!form.inFlight.size) return;
    form.inFlight.clear();
    render();
  }

  /**
   * The server set the ticket's outcome (with a referral); the form follows without counting it
   * as the agent's edit. A save already on its way still carries the old outcome, and could land
   * after it: then the form's values are sent once more.
   * @param {string} outcome
   */
  function outcomeSetByServer(outcome) {
    const select = $('ticket-outcome');
    if (![...select.options].some((/** @type {HTMLOptionElement} */ o) => o.value === outcome)) return;
    select.value = outcome;
    form.dirty.delete('outcome');
    const stale = [...form.inFlight.values()].some((sent) => sent.ticketId === form.ticketId && sent.values.outcome !== outcome);
    if (stale) save({ quiet: true });
    render();
  }

  /** The catalogue's choices; the agent's unsaved choice survives (fillSelect keeps it). */
  function renderSelects() {
    /** @param {'ticketTypes' | 'topics' | 'outcomes'} list */
    const options = (list) => model.catalogue[list].map((l) => ({ value: l.code, label: pick(l.zh, l.en) }));
    // The type has no empty choice: every ticket has one.
    fillSelect($('ticket-type'), options('ticketTypes'));
    fillSelect($('ticket-topic'), options('topics'), t('ticket.topicNone'));
    fillSelect($('ticket-outcome'), options('outcomes'), t('ticket.outcomeNone'));
  }

  function render() {
    show($('ticket-form'), model.ticketVisible);
    $('ticket-number').textContent = form.number ?? (form.ticketId ? '' : t('ticket.pending'));
    $('ticket-save').disabled = !form.ticketId;
    const saved = $('ticket-saved');
    saved.textContent = form.savedAt ? t('ticket.saved', { time: form.savedAt }) : '';
    saved.hidden = !form.savedAt;
    let status = '';
    if (form.inFlight.size) status = t('ticket.saving');
    else if (form.dirty.size) status = t('ticket.unsaved');
    $('ticket-status').textContent = status;
    const error = $('ticket-error');
    error.textContent = textOf(form.error);
    error.hidden = !form.error;
    onRender();
  }

  /** @param {{ onTextEdited: (field: 'summary' | 'advice', text: string) => void }} hooks */
  function wire({ onTextEdited }) {
    const el = $('ticket-form');
    el.addEventListener('submit', (/** @type {Event} */ event) => {
      event.preventDefault();
      save();
    });
    el.addEventListener('keydown', (/** @type {KeyboardEvent} */ event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        save();
      }
    });
    for (const [field, id] of /** @type {[TicketField, string][]} */ (Object.entries(TICKET_INPUTS))) {
      $(id).addEventListener('input', () => {
        edited(field);
        if (field === 'summary' || field === 'advice') onTextEdited(field, $(id).value);
      });
      $(id).addEventListener('change', () => edited(field));
    }
  }

  return { current, apply, reset, leaveOtherCall, flush, save, resumeAutosave, onSaved, onSaveRefused, forgetInFlight, outcomeSetByServer, renderSelects, render, wire };
}
