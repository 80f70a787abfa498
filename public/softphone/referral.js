// @ts-check
/**
 * The referral tab of the ticket: legal aid (with the eligibility pre-check), people's
 * mediation or diversion to a department; the referrals already made for the ticket, read back
 * after a reload so the caller is never referred twice by mistake.
 */

import { getLang, has, pick, t } from './i18n.js';
import { regionLabel } from './labels.js';
import { dateText, labelled, show, textOf } from './view.js';
import { $, element } from '/common/dom.js';

const MAX_INCOME_YUAN = 10_000_000;
const MAX_HOUSEHOLD = 30;
/** The ticket outcome the server sets when a referral of each kind is made. */
const REFERRAL_OUTCOME = /** @type {Record<string, string>} */ ({ legal_aid: 'refer_legal_aid', mediation: 'refer_mediation', diversion: 'divert' });

/**
 * @typedef {import('./types.js').Text} Text
 * @typedef {{ id: string, kind: string, status: string, department?: string | null, organisation?: { code?: string, nameZh?: string, nameEn?: string } | null, eligibility?: { verdict?: string } | null, accept_due_at?: string | null, [field: string]: any }} Referral
 * @typedef {{ verdict: string, article?: string | null, incomeTest?: string, standardYuan?: number | null, incomePerPersonYuan?: number | null, reasons?: { zh: string, en: string }[] }} Preview
 *
 * @typedef {object} ReferralState
 * @property {boolean} checking
 * @property {boolean} sending
 * @property {Preview | null} preview the last pre-check result, cleared when the answers change
 * @property {Referral[]} made referrals made for this ticket (from this page, or read back after a reload), oldest first
 * @property {string | null} loadedFor the ticket whose referrals were read from the server
 * @property {Text | null} error
 * @property {string | null} matterLang the language the matter options were built in
 * @property {{ preview: Preview | null, lang: string } | null} verdictShown last put on screen (live regions are rebuilt only on change)
 * @property {string | null} resultKey
 */

/** @returns {ReferralState} */
function freshReferral() {
  return { checking: false, sending: false, preview: null, made: [], loadedFor: null, error: null, matterLang: null, verdictShown: null, resultKey: null };
}

/**
 * The shape POST …/referrals answers with, from a row of GET /api/referrals.
 * @param {Referral} row
 * @returns {Referral}
 */
function referralFromRow(row) {
  const organisation = row.organisation ?? (row.organisation_name || row.organisation_name_en ? { code: row.organisation_code, nameZh: row.organisation_name, nameEn: row.organisation_name_en } : null);
  return { ...row, organisation };
}

/** @param {string | null | undefined} verdict */
function verdictLabel(verdict) {
  const key = `referral.verdict.${verdict}`;
  return has(key) ? t(key) : String(verdict ?? '');
}

/**
 * A number input's value: undefined when empty, NaN when it is not a number.
 * @param {string} id
 */
function numberField(id) {
  const el = $(id);
  if (el.validity.badInput) return Number.NaN;
  const raw = el.value.trim();
  return raw === '' ? undefined : Number(raw);
}

/** @param {{ status: number, body: any }} res @returns {Text} */
function failureText(res) {
  const body = res.body;
  return body?.message || body?.messageZh ? { zh: body.messageZh, en: body.message } : { key: 'referral.failed', params: { status: res.status } };
}

/**
 * @param {import('./model.js').Desk} desk
 * @param {object} deps
 * @param {{ current: () => { id: string, callId: string | null } | null, outcomeSetByServer: (outcome: string) => void }} deps.ticket
 */
export function createReferralPanel(desk, { ticket }) {
  const { model } = desk;
  let referral = freshReferral();

  const ticketId = () => ticket.current()?.id ?? null;

  /** Legal aid matters by article, as the server lists them in hello (names are in i18n.js). */
  const matterGroups = () => [
    { key: 'referral.art31', codes: model.catalogue.matters.art31 },
    { key: 'referral.art32', codes: model.catalogue.matters.art32 },
    { key: 'referral.otherMatters', codes: model.catalogue.matters.other },
  ];

  /**
   * The region the ticket belongs to is the call's; the pre-check uses its hardship standard.
   * After a reload in wrap-up the page no longer has the call: the agent's region stands in for
   * the preview (the referral itself is always routed by the server from the ticket's region).
   */
  function referralRegion() {
    const call = model.call ?? model.lastCall;
    const callId = ticket.current()?.callId;
    if (call?.region?.code && (!callId || call.callId === callId)) return { region: call.region, fromCall: true };
    return model.agent?.region?.code ? { region: model.agent.region, fromCall: false } : null;
  }

  function reset() {
    referral = freshReferral();
    $('referral-kind').value = 'legal_aid';
    $('referral-matter').value = '';
    for (const box of document.querySelectorAll('input.referral-group')) /** @type {HTMLInputElement} */ (box).checked = false;
    for (const id of ['referral-no-fixed-income', 'referral-assistance']) $(id).checked = false;
    for (const id of ['referral-income', 'referral-household', 'referral-department', 'referral-note']) $(id).value = '';
  }

  /** A new catalogue (hello): the matter list is rebuilt on the next render, the departments now. */
  function catalogueChanged() {
    referral.matterLang = null;
    $('referral-departments').replaceChildren(...model.catalogue.departments.map((name) => new Option(name, name)));
  }

  /**
   * Referrals already made for the ticket (a reload mid-call or in wrap-up): read back once per
   * ticket, so the agent sees them and does not refer the caller twice.
   * @param {string} id the ticket's
   */
  async function load(id) {
    if (referral.loadedFor === id) return;
    const state = referral;
    state.loadedFor = id;
    try {
      const res = await fetch(`/api/referrals?ticketId=${encodeURIComponent(id)}&limit=100`, { headers: { Authorization: `Bearer ${model.token}`, Accept: 'application/json' } });
      const body = await res.json().catch(() => null);
      if (referral !== state || ticketId() !== id) return;
      if (!res.ok || !Array.isArray(body?.items)) throw new Error(body?.messageZh && getLang() === 'zh' ? body.messageZh : body?.message || `HTTP ${res.status}`);
      const known = new Set(state.made.map((r) => r.id));
      const earlier = /** @type {Referral[]} */ (body.items).map(referralFromRow).filter((r) => !known.has(r.id)).reverse();
      if (!earlier.length) return;
      state.made = [...earlier, ...state.made];
      state.resultKey = null;
      render();
      desk.renderLayout();
    } catch (err) {
      if (referral !== state) return;
      state.loadedFor = null; // read again with the next ticket frame
      desk.notify({ key: 'msg.loadFailed', params: { detail: err instanceof Error ? err.message : String(err) } }, 'warning');
    }
  }

  function renderMatterOptions() {
    if (referral.matterLang === getLang()) return;
    referral.matterLang = getLang();
    const select = $('referral-matter');
    const previous = select.value;
    /** @type {(HTMLOptionElement | HTMLOptGroupElement)[]} */
    const nodes = [new Option(t('referral.matterChoose'), '')];
    for (const group of matterGroups()) {
      const optgroup = document.createElement('optgroup');
      optgroup.label = t(group.key);
      for (const code of group.codes) optgroup.append(new Option(t(`matter.${code}`), code));
      nodes.push(optgroup);
    }
    select.replaceChildren(...nodes);
    select.value = previous;
    if (select.value !== previous) select.value = '';
  }

  function render() {
    show($('referral'), model.ticketVisible && Boolean(ticketId()));
    renderMatterOptions();
    const kind = $('referral-kind').value;
    show($('referral-legal-aid'), kind === 'legal_aid');
    show($('referral-diversion'), kind === 'diversion');
    $('referral-kind-help').textContent = t(`referral.help.${kind}`);

    const place = referralRegion();
    const regionLine = $('referral-region');
    regionLine.textContent = place?.fromCall ? t('referral.region', { name: regionLabel(place.region) }) : '';
    regionLine.hidden = !place?.fromCall;

    const check = $('referral-check');
    check.textContent = t(referral.checking ? 'referral.checking' : 'referral.check');
    check.disabled = referral.checking || !ticketId();
    const sendButton = $('referral-send');
    sendButton.textContent = t(referral.sending ? 'referral.sending' : 'referral.send');
    sendButton.disabled = referral.sending || !ticketId();

    // The ticket renders on every keystroke, and this panel with it: the alert is only rewritten on change.
    const error = $('referral-error');
    const errorText = textOf(referral.error);
    if (error.textContent !== errorText) error.textContent = errorText;
    error.hidden = !referral.error;

    renderVerdict();
    renderResults();
  }

  /** The pre-check result: rebuilt only when it or the language changes (it is a live region). */
  function renderVerdict() {
    const box = $('referral-verdict');
    const preview = referral.preview;
    if (referral.verdictShown?.preview === preview && referral.verdictShown?.lang === getLang()) return;
    referral.verdictShown = { preview, lang: getLang() };
    if (!preview) {
      box.replaceChildren();
      box.hidden = true;
      delete box.dataset.verdict;
      return;
    }
    box.dataset.verdict = preview.verdict;
    const reasons = element('ul', 'verdict__reasons');
    reasons.append(...(preview.reasons ?? []).map((r) => element('li', null, pick(r.zh, r.en))));
    const facts = element('dl', 'verdict__facts');
    /** @param {string} key @param {string} value */
    const fact = (key, value) => {
      const row = element('div');
      row.append(element('dt', null, t(key)), element('dd', null, value));
      facts.append(row);
    };
    fact('referral.article', t(preview.article ? `referral.article.${preview.article}` : 'referral.article.none'));
    const testKey = `referral.incomeTest.${preview.incomeTest}`;
    fact('referral.incomeTest', has(testKey) ? t(testKey) : String(preview.incomeTest ?? ''));
    if (preview.standardYuan != null) fact('referral.standard', t('referral.yuanPerMonth', { amount: preview.standardYuan }));
    if (preview.incomePerPersonYuan != null) fact('referral.perPerson', t('referral.yuanPerMonth', { amount: preview.incomePerPersonYuan }));
    box.replaceChildren(element('p', 'verdict__title', verdictLabel(preview.verdict)), reasons, facts, element('p', 'verdict__note', t('referral.verdictNote')));
    box.hidden = false;
  }

  /** Referrals made for this ticket, each with where it went and its status. */
  function renderResults() {
    const box = $('referral-result');
    const key = `${getLang()}|${referral.made.map((r) => r.id).join()}`;
    if (referral.resultKey === key) return;
    referral.resultKey = key;
    box.hidden = referral.made.length === 0;
    $('referral-list').replaceChildren(
      ...referral.made.map((r) => {
        const li = element('li', 'referral-item');
        li.dataset.kind = r.kind;
        const head = element('div', 'referral-item__head');
        const kindKey = `referral.kind.${r.kind}`;
        const diverted = r.kind === 'diversion';
        const statusKey = diverted ? 'referral.status.diverted' : `referral.status.${r.status}`;
        head.append(
          element('span', 'tag', has(kindKey) ? t(kindKey) : r.kind),
          element('span', 'referral-item__status', labelled('referral.status', has(statusKey) ? t(statusKey) : r.status)),
        );
        li.append(head);
        const to = element('p', 'referral-item__to');
        to.append(
          element('span', 'muted', labelled(diverted ? 'referral.toDepartment' : 'referral.to', '')),
          element('strong', null, diverted ? r.department ?? '' : pick(r.organisation?.nameZh, r.organisation?.nameEn)),
        );
        li.append(to);
        if (r.eligibility?.verdict) {
          const verdict = element('p', 'referral-item__verdict', verdictLabel(r.eligibility.verdict));
          verdict.dataset.verdict = r.eligibility.verdict;
          li.append(verdict);
        }
        if (r.accept_due_at) li.append(element('p', 'muted referral-item__due', labelled('referral.acceptBy', dateText(r.accept_due_at))));
        return li;
      }),
    );
  }

  /**
   * @param {string} key
   * @param {string} fieldId
   * @returns {null}
   */
  function invalid(key, fieldId) {
    referral.error = { key };
    render();
    $(fieldId).focus();
    return null;
  }

  /** The legal aid answers as the API takes them, or null (with the error shown) when invalid. */
  function readEligibility() {
    const matter = $('referral-matter').value;
    if (!matter) return invalid('referral.invalid.matter', 'referral-matter');
    const income = numberField('referral-income');
    if (income !== undefined && !(Number.isFinite(income) && income >= 0 && income <= MAX_INCOME_YUAN)) return invalid('referral.invalid.income', 'referral-income');
    const household = numberField('referral-household');
    if (household !== undefined && !(Number.isInteger(household) && household >= 1 && household <= MAX_HOUSEHOLD)) {
      return invalid('referral.invalid.household', 'referral-household');
    }
    /** @type {Record<string, unknown>} */
    const answers = {
      matter,
      groups: [...document.querySelectorAll('input.referral-group:checked')].map((box) => /** @type {HTMLInputElement} */ (box).value),
      noFixedIncome: $('referral-no-fixed-income').checked,
      receivesAssistance: $('referral-assistance').checked,
    };
    if (income !== undefined) answers.householdMonthlyIncomeYuan = income;
    if (household !== undefined) answers.householdSize = household;
    return answers;
  }

  /**
   * POSTs JSON with the agent's token; resolves { ok, status, body }, rejects on a network failure.
   * @param {string} url
   * @param {unknown} payload
   */
  async function postJson(url, payload) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${model.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
    });
    const body = await res.json().catch(() => null);
    return { ok: res.ok, status: res.status, body };
  }

  async function checkEligibility() {
    if (referral.checking || !ticketId()) return;
    referral.error = null;
    const answers = readEligibility();
    if (!answers) return;
    const place = referralRegion();
    if (!place) return;
    const state = referral;
    state.checking = true;
    render();
    try {
      const res = await postJson('/api/legal-aid/eligibility', { regionCode: place.region.code, answers });
      if (referral !== state) return; // the ticket changed meanwhile
      if (res.ok) state.preview = res.body;
      else state.error = failureText(res);
    } catch {
      if (referral !== state) return;
      state.error = { key: 'referral.network' };
    } finally {
      state.checking = false;
    }
    render();
  }

  async function send() {
    const id = ticketId();
    if (referral.sending || !id) return;
    referral.error = null;
    const kind = $('referral-kind').value;
    const note = $('referral-note').value.trim();
    /** @type {Record<string, unknown>} */
    let payload;
    if (kind === 'legal_aid') {
      const eligibility = readEligibility();
      if (!eligibility) return;
      payload = { kind, eligibility };
    } else if (kind === 'diversion') {
      const department = $('referral-department').value.trim();
      if (department.length < 2) return invalid('referral.invalid.department', 'referral-department');
      payload = { kind, department };
    } else {
      payload = { kind: 'mediation' };
    }
    if (note) payload.note = note;

    const state = referral;
    state.sending = true;
    render();
    try {
      const res = await postJson(`/api/tickets/${encodeURIComponent(id)}/referrals`, payload);
      if (referral !== state) return;
      if (res.status === 201 && res.body) {
        state.made.push(res.body);
        $('referral-note').value = '';
        const outcome = REFERRAL_OUTCOME[res.body.kind ?? kind];
        if (outcome) ticket.outcomeSetByServer(outcome);
      } else {
        state.error = failureText(res);
      }
    } catch {
      if (referral !== state) return;
      state.error = { key: 'referral.network' };
    } finally {
      state.sending = false;
    }
    render();
    desk.renderLayout();
  }

  function wire() {
    $('referral-kind').addEventListener('change', () => {
      referral.error = null;
      render();
    });
    // A pre-check answers the questions as they were: changing one takes its result away.
    const onAnswers = () => {
      if (!referral.preview && !referral.error) return;
      referral.preview = null;
      referral.error = null;
      render();
    };
    $('referral-legal-aid').addEventListener('input', onAnswers);
    $('referral-legal-aid').addEventListener('change', onAnswers);
    $('referral-department').addEventListener('input', () => {
      if (!referral.error) return;
      referral.error = null;
      render();
    });
    // Enter in the income fields runs the pre-check, as the agent would expect of a form.
    for (const id of ['referral-income', 'referral-household']) {
      $(id).addEventListener('keydown', (/** @type {KeyboardEvent} */ event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          checkEligibility();
        }
      });
    }
    $('referral-check').addEventListener('click', checkEligibility);
    $('referral-send').addEventListener('click', send);
  }

  return { reset, load, catalogueChanged, render, wire };
}
