// @ts-check
/**
 * The desk's one-screen layout: which arrangement the columns take (#desk[data-mode]) and the
 * tabs of the work column (referral / history / knowledge). It only places and switches; what
 * each pane shows is its own module's business.
 */

/** @typedef {'idle' | 'ringing' | 'work'} DeskMode */

/**
 * @param {{ desk: HTMLElement, tabs: HTMLElement }} elements
 */
export function createLayout({ desk, tabs }) {
  /** @type {string | null} the pane the agent chose last (kept while it applies) */
  let chosen = null;

  /** @returns {HTMLButtonElement[]} */
  const tabButtons = () => [...tabs.querySelectorAll('button[data-pane]')].map((b) => /** @type {HTMLButtonElement} */ (b));
  /** @param {HTMLButtonElement} tab */
  const paneOf = (tab) => document.getElementById(tab.dataset.pane ?? '');

  tabs.addEventListener('click', (event) => {
    const tab = /** @type {HTMLElement | null} */ (event.target instanceof Element ? event.target.closest('button[data-pane]') : null);
    if (!tab) return;
    chosen = tab.dataset.pane ?? null;
    renderTabs();
    tab.focus();
  });
  // Arrow keys move between tabs, as a tab list is expected to.
  tabs.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const shown = tabButtons().filter((b) => !b.hidden);
    const at = shown.findIndex((b) => b.dataset.pane === chosen);
    const next = shown[(at + (event.key === 'ArrowRight' ? 1 : shown.length - 1)) % shown.length];
    if (!next) return;
    chosen = next.dataset.pane ?? null;
    renderTabs();
    next.focus();
  });

  /** A tab is offered while its pane applies (not [hidden]); one applicable pane is shown. */
  function renderTabs() {
    const buttons = tabButtons();
    for (const b of buttons) b.hidden = Boolean(paneOf(b)?.hidden);
    const offered = buttons.filter((b) => !b.hidden);
    const active = offered.find((b) => b.dataset.pane === chosen) ?? offered[0];
    for (const b of buttons) {
      const on = b === active;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      paneOf(b)?.classList.toggle('is-away', !on);
    }
  }

  /** @param {DeskMode} mode */
  function render(mode) {
    if (desk.dataset.mode !== mode) desk.dataset.mode = mode;
    renderTabs();
  }

  /** Brings a pane to the front (e.g. the referral pane after a reload that restored referrals). */
  function showPane(/** @type {string} */ id) {
    chosen = id;
    renderTabs();
  }

  return { render, showPane };
}
