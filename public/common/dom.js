/** DOM and text helpers both pages use. Text only ever goes in through textContent. */

export const $ = (id) => document.getElementById(id);

export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text != null) el.textContent = text;
  return el;
}

export const pad2 = (n) => String(n).padStart(2, '0');

/**
 * Short messages in #messages that go away after a few seconds. Nodes are appended, never
 * rebuilt, so a screen reader announces each message once. Entries live in state.messages.
 */
export function createMessages(state, { max, lifetimeMs, textOf, t }) {
  function notify(text, tone = 'error') {
    const entry = { text, tone, node: element('div', `message message--${tone}`) };
    const body = element('span', 'message__text', textOf(text));
    const close = element('button', 'message__close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', t('msg.dismiss'));
    close.addEventListener('click', () => dismiss(entry));
    entry.node.append(body, close);
    $('messages').append(entry.node);
    state.messages.push(entry);
    while (state.messages.length > max) dismiss(state.messages[0]);
    entry.timer = setTimeout(() => dismiss(entry), lifetimeMs);
  }

  function dismiss(entry) {
    clearTimeout(entry.timer);
    entry.node.remove();
    state.messages = state.messages.filter((m) => m !== entry);
  }

  return { notify, dismiss };
}
