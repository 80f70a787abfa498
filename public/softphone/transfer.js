// @ts-check
/**
 * Passing the call on or bringing someone in: transfer (blind or consult) to a colleague, a
 * region's advisers or an outside mainland number, and an interpreter (a colleague, a language's
 * advisers or a number). Only what the phone system can carry out is offered (hello's
 * capabilities); colleagues come from the directory, regions from GET /api/regions.
 */

import { getLang, pick, t } from './i18n.js';
import { regionLabel, regionName } from './labels.js';
import { fillSelect, show } from './view.js';
import { $ } from '/common/dom.js';

const PHONE_NUMBER = /^\+?[0-9]{3,20}$/;
const REGION_CODE = /^\d{6}$/;

/**
 * Agents copy numbers with spaces or dashes; the server wants digits only.
 * @param {string} raw
 */
function phoneNumber(raw) {
  const cleaned = raw.replace(/[\s\-()]/g, '');
  return PHONE_NUMBER.test(cleaned) ? cleaned : null;
}

/** @param {import('./model.js').Desk} desk */
export function createTransferPanel(desk) {
  const { model, labels } = desk;

  /**
   * @param {string} key
   * @param {string} fieldId
   */
  function refuse(key, fieldId) {
    desk.notify({ key });
    $(fieldId).focus();
  }

  function transfer() {
    const call = model.call;
    if (!call) return;
    const kind = $('transfer-kind').value;
    let to;
    if (kind === 'agent') {
      const agentId = $('transfer-agent').value;
      if (!agentId) return refuse('invalid.agent', 'transfer-agent');
      to = { agentId };
    } else if (kind === 'region') {
      const region = $('transfer-region').value;
      if (!REGION_CODE.test(region)) return refuse('invalid.region', 'transfer-region');
      to = { region };
    } else {
      const number = phoneNumber($('transfer-number').value);
      if (!number) return refuse('invalid.number', 'transfer-number');
      to = { number };
    }
    const mode = $('transfer-mode').value === 'consult' ? 'consult' : 'blind';
    desk.send('call.transfer', { callId: call.callId, to, mode });
  }

  function inviteInterpreter() {
    const call = model.call;
    if (!call) return;
    const language = $('interpreter-language').value;
    const agentId = $('interpreter-agent').value;
    const rawNumber = $('interpreter-number').value.trim();
    let to;
    if (agentId) {
      // A colleague interprets the language chosen, or else the first they speak that the call is not in.
      const colleague = model.directory.find((a) => a.id === agentId);
      const spoken = language || (colleague?.languages ?? []).find((code) => code !== call.language);
      if (!spoken) return refuse('interp.needLanguage', 'interpreter-language');
      desk.send('call.interpreter', { callId: call.callId, to: { agentId }, language: spoken });
      return;
    } else if (language && !rawNumber) {
      to = { language };
    } else if (rawNumber) {
      const number = phoneNumber(rawNumber);
      if (!number) return refuse('invalid.number', 'interpreter-number');
      to = { number };
    } else {
      return refuse('invalid.interpreter', 'interpreter-agent');
    }
    desk.send('call.interpreter', { callId: call.callId, to });
  }

  const requestDirectory = () => desk.send('directory.get', {}, { quiet: true });

  /** The region tree for transfers, loaded once per session from the HTTP API. */
  async function ensureRegions() {
    if (model.regionsState === 'loading' || model.regionsState === 'loaded') return;
    const token = model.token;
    model.regionsState = 'loading';
    renderRegions();
    try {
      const res = await fetch('/api/regions', { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
      const body = await res.json().catch(() => null);
      if (model.token !== token) return;
      if (!res.ok || !body?.tree) throw new Error(body?.message || `HTTP ${res.status}`);
      model.regions = body.tree;
      model.regionsState = 'loaded';
    } catch (err) {
      if (model.token !== token) return;
      model.regionsState = 'failed'; // tried again the next time the region list is wanted
      desk.notify({ key: 'msg.loadFailed', params: { detail: err instanceof Error ? err.message : String(err) } }, 'warning');
    }
    renderRegions();
  }

  /** A call came to the agent: colleagues and regions are read now, before the agent needs them. */
  function prepare() {
    requestDirectory();
    void ensureRegions();
  }

  /**
   * Only controls the phone system can carry out are shown: a consult transfer, an interpreter or a
   * transfer to an outside number that the service would refuse as unsupported are hidden instead.
   * @param {import('./types.js').Capabilities | null | undefined} capabilities
   */
  function applyCapabilities(capabilities) {
    model.capabilities = capabilities ?? null;
    const can = { forward: false, consult: false, interpreter: false, ...(capabilities ?? {}) };
    show($('interpreter-panel'), can.interpreter);
    const consult = $('transfer-mode').querySelector('option[value="consult"]');
    consult.hidden = consult.disabled = !can.consult;
    if (!can.consult) $('transfer-mode').value = 'blind';
    // With blind as the only way, there is nothing to choose.
    show($('transfer-mode-field'), can.consult);
    const number = $('transfer-kind').querySelector('option[value="number"]');
    number.hidden = number.disabled = !can.forward;
    if (!can.forward && $('transfer-kind').value === 'number') {
      $('transfer-kind').value = 'agent';
      $('transfer-kind').dispatchEvent(new Event('change'));
    }
  }

  /**
   * A colleague asked into a call neither transfers it nor brings in a third party; one second
   * leg at a time, so nothing more while one is open.
   */
  function render() {
    const call = model.call;
    const onLeg = call?.kind === 'leg';
    show($('transfer-panel'), Boolean(call) && !onLeg);
    if (onLeg) show($('interpreter-panel'), false);
    else applyCapabilities(model.capabilities);
    const busyWithLeg = Boolean(call?.secondLeg);
    for (const id of ['transfer', 'interpreter']) $(id).disabled = !call || busyWithLeg;
  }

  function renderKind() {
    const kind = $('transfer-kind').value;
    show($('transfer-agent-field'), kind === 'agent');
    show($('transfer-region-field'), kind === 'region');
    show($('transfer-number-field'), kind === 'number');
  }

  function renderSelects() {
    const languages = model.catalogue.languages.filter((l) => l.code !== 'zh').map((l) => ({ value: l.code, label: pick(l.zh, l.en) }));
    fillSelect($('interpreter-language'), languages, t('select.choose'));
  }

  function renderDirectory() {
    const agents = [...model.directory];
    const empty = agents.length === 0;
    const placeholder = t(empty ? 'select.noAgents' : 'select.choose');

    const readyFirst = agents.sort((a, b) => Number(b.state === 'ready') - Number(a.state === 'ready') || (a.displayName ?? '').localeCompare(b.displayName ?? ''));
    fillSelect(
      $('transfer-agent'),
      readyFirst.map((a) => ({ value: a.id, label: `${a.displayName} · ${regionLabel(a.region)} · ${labels.stateLabel(a.state)}` })),
      placeholder,
    );

    // Colleagues who speak the caller's language are the likely interpreters: list them first.
    const callerLanguage = (model.call ?? model.lastCall)?.language ?? '';
    const speaks = (/** @type {import('./types.js').Colleague} */ a) => Number((a.languages ?? []).includes(callerLanguage));
    const interpreters = [...agents].sort((a, b) => speaks(b) - speaks(a) || (a.displayName ?? '').localeCompare(b.displayName ?? ''));
    fillSelect(
      $('interpreter-agent'),
      interpreters.map((a) => {
        const languages = (a.languages ?? []).map((code) => labels.catalogueLabel('languages', code)).join(getLang() === 'zh' ? '、' : ', ');
        return {
          value: a.id,
          label: `${a.displayName} · ${languages || t('common.none')} · ${labels.stateLabel(a.state)}`,
          title: speaks(a) ? t('interp.speaksCaller') : undefined,
        };
      }),
      placeholder,
    );
  }

  /** Prefectures as groups, each with itself ("whole prefecture") and its counties. */
  function renderRegions() {
    const select = $('transfer-region');
    const previous = select.value;
    if (model.regionsState !== 'loaded' || !model.regions) {
      const key = model.regionsState === 'failed' ? 'transfer.regionsFailed' : 'transfer.regionsLoading';
      select.replaceChildren(new Option(t(key), ''));
      return;
    }
    /** @type {(HTMLOptionElement | HTMLOptGroupElement)[]} */
    const nodes = [new Option(t('select.choose'), '')];
    for (const prefecture of model.regions.children ?? []) {
      const counties = prefecture.children ?? [];
      if (!counties.length) {
        nodes.push(new Option(regionName(prefecture), prefecture.code));
        continue;
      }
      const group = document.createElement('optgroup');
      group.label = regionName(prefecture);
      group.append(new Option(t('transfer.wholeRegion', { name: regionName(prefecture) }), prefecture.code));
      for (const county of counties) group.append(new Option(regionName(county), county.code));
      nodes.push(group);
    }
    select.replaceChildren(...nodes);
    if ([...select.options].some((/** @type {HTMLOptionElement} */ o) => o.value === previous)) select.value = previous;
  }

  function wire() {
    $('transfer-kind').addEventListener('change', () => {
      renderKind();
      const kind = $('transfer-kind').value;
      if (kind === 'agent') requestDirectory();
      if (kind === 'region') void ensureRegions();
    });
    $('transfer').addEventListener('click', transfer);
    $('interpreter').addEventListener('click', inviteInterpreter);
    // Choosing an agent and typing a number are alternatives: the last one touched wins.
    $('interpreter-agent').addEventListener('change', () => {
      if ($('interpreter-agent').value) $('interpreter-number').value = '';
    });
    $('interpreter-number').addEventListener('input', () => {
      if ($('interpreter-number').value) $('interpreter-agent').value = '';
    });
  }

  return { prepare, applyCapabilities, render, renderKind, renderSelects, renderDirectory, renderRegions, wire };
}
