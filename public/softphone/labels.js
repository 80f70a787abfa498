// @ts-check
/** Names of the codes the server sends (from hello's catalogue and the region tree), in the page's language. */

import { getLang, has, pick, t } from './i18n.js';

/**
 * @typedef {import('./model.js').DeskModel} DeskModel
 * @typedef {import('./types.js').Region} Region
 * @typedef {import('./types.js').RegionNode} RegionNode
 * @typedef {ReturnType<typeof createLabels>} Labels
 */

/** @param {Region | null | undefined} region */
export function regionLabel(region) {
  if (!region) return '';
  return pick(region.name, region.nameEn);
}

/** @param {RegionNode} node */
export function regionName(node) {
  return getLang() === 'zh' ? node.nameZh : node.namePinyin || node.nameZh;
}

/** @param {DeskModel} model */
export function createLabels(model) {
  /**
   * A code's name from the hello catalogue (the code itself if unknown).
   * @param {'topics' | 'ticketTypes' | 'languages' | 'outcomes' | 'notReadyReasons'} list
   * @param {string | null | undefined} code
   */
  function catalogueLabel(list, code) {
    if (code == null || code === '') return '';
    const item = model.catalogue[list]?.find((l) => l.code === code);
    return item ? pick(item.zh, item.en) : code;
  }

  /** @param {string} code */
  function reasonLabel(code) {
    const fromCatalogue = model.catalogue.notReadyReasons.find((l) => l.code === code);
    if (fromCatalogue) return pick(fromCatalogue.zh, fromCatalogue.en);
    return has(`reason.${code}`) ? t(`reason.${code}`) : code;
  }

  /**
   * @param {string} state
   * @param {string | null} [reason]
   */
  function stateLabel(state, reason) {
    const base = has(`state.${state}`) ? t(`state.${state}`) : state;
    return state === 'not_ready' && reason ? t('state.withReason', { state: base, reason: reasonLabel(reason) }) : base;
  }

  /** A region's name by code from the region tree, once it is loaded (the code until then). @param {string} code */
  function regionNameOf(code) {
    /** @param {RegionNode} node @returns {RegionNode | undefined} */
    const walk = (node) => (node.code === code ? node : (node.children ?? []).map(walk).find(Boolean));
    const found = model.regions ? walk(model.regions) : null;
    return found ? regionName(found) : code;
  }

  /** A colleague's name from the directory ("—" when not there). @param {string | null | undefined} agentId */
  function colleagueName(agentId) {
    return model.directory.find((a) => a.id === agentId)?.displayName ?? t('common.none');
  }

  return { catalogueLabel, reasonLabel, stateLabel, regionNameOf, colleagueName };
}
