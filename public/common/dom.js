// @ts-check
/** DOM and text helpers both pages use. Text only ever goes in through textContent. */

/**
 * An element of the page by id. Callers know the element exists (it is in index.html), so the
 * type is the loose HTMLElement & the form members the pages read (value, checked, disabled …).
 * @param {string} id
 * @returns {any}
 */
export const $ = (id) => document.getElementById(id);

/**
 * @param {string} tag
 * @param {string | null} [className]
 * @param {string | number | null} [text]
 * @returns {HTMLElement}
 */
export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text != null) el.textContent = String(text);
  return el;
}

/** @param {number | string} n */
export const pad2 = (n) => String(n).padStart(2, '0');

/**
 * @typedef {'info' | 'success' | 'warning' | 'error'} Tone
 * @typedef {{ text: unknown, tone: Tone, node: HTMLElement, timer?: ReturnType<typeof setTimeout> }} MessageEntry
 */

/**
 * Short messages in #messages. Nodes are appended, never rebuilt, so a screen reader announces
 * each message once. Entries live in state.messages. lifetimeMs is one lifetime for every
 * message, or one per tone (null: stays until dismissed — an error the agent must read).
 * @param {{ messages: MessageEntry[] }} state
 * @param {{ max: number, lifetimeMs: number | Partial<Record<Tone, number | null>>, textOf: (text: any) => string, t: (key: string) => string }} options
 */
export function createMessages(state, { max, lifetimeMs, textOf, t }) {
  /** @param {Tone} tone */
  const lifetimeOf = (tone) => (typeof lifetimeMs === 'number' ? lifetimeMs : lifetimeMs[tone] ?? null);

  /**
   * @param {unknown} text
   * @param {Tone} [tone]
   */
  function notify(text, tone = 'error') {
    /** @type {MessageEntry} */
    const entry = { text, tone, node: element('div', `message message--${tone}`) };
    const body = element('span', 'message__text', textOf(text));
    const close = element('button', 'message__close', '×');
    close.setAttribute('type', 'button');
    close.setAttribute('aria-label', t('msg.dismiss'));
    close.addEventListener('click', () => dismiss(entry));
    entry.node.append(body, close);
    document.getElementById('messages')?.append(entry.node);
    state.messages.push(entry);
    while (state.messages.length > max) dismiss(/** @type {MessageEntry} */ (state.messages[0]));
    const lifetime = lifetimeOf(tone);
    if (lifetime != null) entry.timer = setTimeout(() => dismiss(entry), lifetime);
  }

  /** @param {MessageEntry} entry */
  function dismiss(entry) {
    clearTimeout(entry.timer);
    entry.node.remove();
    state.messages = state.messages.filter((m) => m !== entry);
  }

  return { notify, dismiss };
}
