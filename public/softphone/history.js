// @ts-check
/** The caller's earlier tickets: in the offer while it rings, and in the work column's 历史 tab. */

import { t } from './i18n.js';
import { dateText, show } from './view.js';
import { $, element } from '/common/dom.js';

/**
 * @typedef {import('./model.js').Desk} Desk
 * @typedef {import('./types.js').HistoryItem} HistoryItem
 */

/** @param {Desk} desk */
export function createHistory(desk) {
  const { model, labels } = desk;

  /**
   * @param {HTMLElement} list
   * @param {HistoryItem[] | undefined} items
   * @param {string} emptyKey
   */
  function renderList(list, items, emptyKey) {
    if (!items?.length) {
      list.replaceChildren(element('li', 'history-empty', t(emptyKey)));
      return;
    }
    list.replaceChildren(
      ...items.map((item) => {
        const li = element('li', 'history-item');
        const head = element('div', 'history-item__head');
        head.append(
          element('span', 'history-item__date', dateText(item.at)),
          element('span', 'history-item__number', item.number),
          element('span', 'history-item__topic', labels.catalogueLabel('topics', item.topic) || t('common.none')),
          element('span', 'history-item__outcome', labels.catalogueLabel('outcomes', item.outcome) || t('common.none')),
        );
        if (item.riskFlag) head.append(element('span', 'history-item__risk', `⚠ ${t('history.risk')}`));
        li.append(head);
        if (item.summary) li.append(element('p', 'history-item__summary', item.summary));
        return li;
      }),
    );
  }

  /** The history tab of the call the ticket belongs to (kept through wrap-up). */
  function render() {
    const call = model.lastCall;
    show($('history-panel'), model.ticketVisible && Boolean(call));
    renderList($('history'), call?.history, 'history.none');
    desk.renderLayout();
  }

  return { render, renderList };
}
