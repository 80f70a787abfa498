// @ts-check
/**
 * The desk's knowledge base pane (知识库): search the articles in the caller's words, open one,
 * mark it used on the current ticket, and see suggestions follow the ticket text as the agent
 * types. A module of its own: the page gives it a container and getters, and tells it when the
 * ticket text changes; it keeps its own strings (zh and en) and talks to the HTTP API only.
 *
 *   const kb = mountKnowledge(container, { token, call, ticket, topicLabel, lang });
 *   kb.ticketTextChanged(text);  // on every input in the ticket summary
 *   kb.render();                 // when the call, the ticket or the language changed
 */

import { element } from '/common/dom.js';

/**
 * What the pane reads of the API's answers (src/api/routes/knowledge.ts).
 * @typedef {{ id: string, version: number, title: string, topic: string, basisText: string, retired: boolean, snippet: { text: string, hit: boolean }[] }} ArticleSummary
 * @typedef {{ id: string, version: number, title: string, question: string, answer: string, topic: string, basisText: string, retired: boolean }} Article
 * @typedef {{ articleId: string, version: number, title: string, basisText: string, retired: boolean }} LinkedArticle
 */

/**
 * The page's getters. call: the call on screen (or the last one, in wrap-up); ticket: the ticket in the form.
 * @typedef {object} KnowledgeOptions
 * @property {() => string | null} token
 * @property {() => { topic?: string | null, region?: { code: string } | null } | null | undefined} call
 * @property {() => { id: string, number?: string | null } | null} ticket
 * @property {(code: string) => string} [topicLabel]
 * @property {() => string} [lang]
 */

/** @type {Record<string, Record<string, string>>} */
const STRINGS = {
  zh: {
    heading: '知识库',
    searchLabel: '搜索知识库',
    searchPlaceholder: '输入来电人的问题，如：老板拖欠工资怎么办',
    search: '搜索',
    searching: '正在搜索…',
    noResults: '没有找到相关条目，请换个说法试试',
    results: '搜索结果（{n} 条）',
    suggestions: '建议条目',
    suggestionsHint: '根据来电类别和工单摘要推荐',
    noSuggestions: '输入工单摘要后将推荐相关条目',
    basis: '法律依据',
    question: '常见问法',
    answer: '解答要点',
    back: '返回列表',
    use: '用于本工单',
    used: '已用于本工单',
    noTicket: '接听来电后才能关联工单',
    linked: '本工单已用条目',
    failed: '知识库暂时无法访问：{detail}',
    retired: '已停用',
    version: '第 {v} 版',
  },
  en: {
    heading: 'Knowledge base',
    searchLabel: 'Search the knowledge base',
    searchPlaceholder: "The caller's question, e.g. 老板拖欠工资怎么办",
    search: 'Search',
    searching: 'Searching…',
    noResults: 'No article found; try other words',
    results: 'Results ({n})',
    suggestions: 'Suggested articles',
    suggestionsHint: "From the call's topic and the ticket summary",
    noSuggestions: 'Suggestions appear as you type the ticket summary',
    basis: 'Legal basis',
    question: 'As callers ask',
    answer: 'Answer',
    back: 'Back to the list',
    use: 'Use on this ticket',
    used: 'Used on this ticket',
    noTicket: 'Answer a call to link its ticket',
    linked: 'Articles used on this ticket',
    failed: 'The knowledge base cannot be reached: {detail}',
    retired: 'Retired',
    version: 'version {v}',
  },
};

/** Typing pauses this long before the suggestions are asked for again. */
const SUGGEST_DELAY_MS = 400;

/**
 * @param {HTMLElement} container
 * @param {KnowledgeOptions} options
 */
export function mountKnowledge(container, { token, call, ticket, topicLabel = (code) => code, lang = () => 'zh' }) {
  /** @type {(key: string, params?: Record<string, string | number>) => string} */
  const t = (key, params = {}) => (STRINGS[lang()]?.[key] ?? STRINGS.zh[key]).replace(/\{(\w+)\}/g, (w, name) => (name in params ? String(params[name]) : w));

  /**
   * @type {{
   *   results: { items: ArticleSummary[], total: number } | null, searching: boolean,
   *   suggestions: ArticleSummary[], suggestFor: string | null, text: string, open: Article | null,
   *   linked: LinkedArticle[], linkedFor: string | null, error: string | null,
   * }}
   */
  const state = {
    results: null, // { items, total } of the last search
    searching: false,
    suggestions: [],
    suggestFor: null, // the ticket id the suggestions were made for
    text: '',
    open: null, // the article opened
    linked: [], // the current ticket's articles
    linkedFor: null, // which ticket `linked` belongs to
    error: null,
  };
  /** @type {ReturnType<typeof setTimeout> | null} */
  let suggestTimer = null;
  let suggestSeq = 0;
  let searchSeq = 0;

  // ---- the pane's fixed parts ----
  if (!document.querySelector('link[data-kb-style]')) {
    const style = document.createElement('link');
    style.rel = 'stylesheet';
    style.href = new URL('./knowledge.css', import.meta.url).pathname;
    style.dataset.kbStyle = '';
    document.head.append(style);
  }
  container.classList.add('kb');
  const heading = element('h2', 'kb__heading');
  const form = element('form', 'kb__search');
  form.setAttribute('role', 'search');
  const input = /** @type {HTMLInputElement} */ (element('input', 'kb__input'));
  input.type = 'search';
  input.id = 'kb-query';
  input.maxLength = 200;
  input.autocomplete = 'off';
  const button = /** @type {HTMLButtonElement} */ (element('button', 'btn'));
  button.type = 'submit';
  button.id = 'kb-search';
  form.append(input, button);
  const error = element('p', 'form-error');
  error.setAttribute('role', 'alert');
  const suggestBox = element('section', 'kb__suggestions');
  suggestBox.id = 'kb-suggestions';
  suggestBox.setAttribute('aria-live', 'polite');
  const resultsBox = element('section', 'kb__results');
  resultsBox.id = 'kb-results';
  const detailBox = element('article', 'kb__detail');
  detailBox.id = 'kb-article';
  const linkedBox = element('section', 'kb__linked');
  linkedBox.id = 'kb-linked';
  container.replaceChildren(heading, form, error, detailBox, suggestBox, resultsBox, linkedBox);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search(input.value.trim());
  });

  // ---- talking to the API ----
  /**
   * @param {string} url
   * @param {RequestInit} [init]
   * @returns {Promise<any>} the JSON answer
   */
  async function getJson(url, init = {}) {
    const res = await fetch(url, { ...init, headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}) } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((lang() === 'zh' ? body?.messageZh : body?.message) || body?.message || `HTTP ${res.status}`);
    return body;
  }

  function regionOf() {
    return call()?.region?.code ?? null;
  }

  /** @param {Record<string, string | number | null>} params */
  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, String(v));
    return q.toString();
  }

  /** @param {string} q */
  async function search(q) {
    if (!q) return;
    const seq = ++searchSeq;
    state.searching = true;
    state.open = null;
    state.error = null;
    render();
    try {
      const body = await getJson(`/api/knowledge?${query({ q, region: regionOf(), limit: 10 })}`);
      if (seq !== searchSeq) return;
      state.results = body;
    } catch (err) {
      if (seq !== searchSeq) return;
      state.error = /** @type {Error} */ (err).message;
    }
    state.searching = false;
    render();
  }

  async function suggest() {
    const seq = ++suggestSeq;
    const topic = call()?.topic ?? null;
    if (!state.text.trim() && !topic) {
      state.suggestions = [];
      render();
      return;
    }
    try {
      const body = await getJson(`/api/knowledge/suggest?${query({ topic, text: state.text, region: regionOf() })}`);
      if (seq !== suggestSeq) return;
      state.suggestions = body.items;
      state.error = null;
    } catch (err) {
      if (seq !== suggestSeq) return;
      state.error = /** @type {Error} */ (err).message;
    }
    render();
  }

  /** @param {string} id */
  async function openArticle(id) {
    try {
      const body = await getJson(`/api/knowledge/${encodeURIComponent(id)}`);
      state.open = body.article;
      state.error = null;
    } catch (err) {
      state.error = /** @type {Error} */ (err).message;
    }
    render();
  }

  /** @param {string} articleId */
  async function useArticle(articleId) {
    const current = ticket();
    if (!current) return;
    try {
      const body = await getJson(`/api/tickets/${encodeURIComponent(current.id)}/knowledge`, { method: 'POST', body: JSON.stringify({ articleId }) });
      state.linked = body.knowledge;
      state.linkedFor = current.id;
      state.error = null;
    } catch (err) {
      state.error = /** @type {Error} */ (err).message;
    }
    render();
  }

  // ---- drawing ----
  /** @param {ArticleSummary['snippet']} parts */
  function snippetNode(parts) {
    const p = element('p', 'kb__snippet');
    for (const part of parts) p.append(part.hit ? element('mark', null, part.text) : document.createTextNode(part.text));
    return p;
  }

  /** @param {ArticleSummary} item */
  function itemNode(item) {
    const li = element('li', 'kb__item');
    const open = /** @type {HTMLButtonElement} */ (element('button', 'kb__title', item.title));
    open.type = 'button';
    open.dataset.articleId = item.id;
    open.addEventListener('click', () => openArticle(item.id));
    const meta = element('p', 'kb__meta');
    meta.append(element('span', 'kb__topic', topicLabel(item.topic)), element('span', 'kb__basis', item.basisText));
    li.append(open, snippetNode(item.snippet), meta);
    return li;
  }

  function renderSuggestions() {
    const list = element('ul', 'kb__list');
    for (const item of state.suggestions) list.append(itemNode(item));
    const head = element('h3', null, t('suggestions'));
    head.title = t('suggestionsHint');
    suggestBox.replaceChildren(head, state.suggestions.length ? list : element('p', 'muted', t('noSuggestions')));
  }

  function renderResults() {
    resultsBox.hidden = !state.results && !state.searching;
    if (state.searching) {
      resultsBox.replaceChildren(element('p', 'muted', t('searching')));
      return;
    }
    if (!state.results) return;
    const list = element('ul', 'kb__list');
    for (const item of state.results.items) list.append(itemNode(item));
    resultsBox.replaceChildren(element('h3', null, t('results', { n: state.results.total })), state.results.items.length ? list : element('p', 'muted', t('noResults')));
  }

  function renderDetail() {
    const a = state.open;
    detailBox.hidden = !a;
    if (!a) return;
    const title = element('h3', 'kb__detail-title', a.title);
    if (a.retired) title.append(' ', element('span', 'tag', t('retired')));
    const current = ticket();
    const used = state.linkedFor === current?.id && state.linked.some((l) => l.articleId === a.id);
    const use = /** @type {HTMLButtonElement} */ (element('button', 'btn btn--primary', used ? t('used') : t('use')));
    use.type = 'button';
    use.id = 'kb-use';
    use.disabled = !current || used || a.retired;
    if (!current) use.title = t('noTicket');
    use.addEventListener('click', () => useArticle(a.id));
    const back = /** @type {HTMLButtonElement} */ (element('button', 'btn btn--ghost', t('back')));
    back.type = 'button';
    back.addEventListener('click', () => {
      state.open = null;
      render();
    });
    const controls = element('div', 'controls');
    controls.append(use, back);
    detailBox.replaceChildren(
      title,
      element('p', 'kb__meta', `${topicLabel(a.topic)} · ${t('version', { v: a.version })}`),
      element('h4', null, t('question')),
      element('p', null, a.question),
      element('h4', null, t('answer')),
      element('p', 'kb__answer', a.answer),
      element('h4', null, t('basis')),
      element('p', 'kb__basis', a.basisText),
      controls,
    );
  }

  function renderLinked() {
    const current = ticket();
    const items = current && state.linkedFor === current.id ? state.linked : [];
    linkedBox.hidden = items.length === 0;
    const list = element('ul', 'kb__list');
    for (const l of items) {
      const li = element('li', 'kb__item kb__item--linked');
      const open = /** @type {HTMLButtonElement} */ (element('button', 'kb__title', l.title));
      open.type = 'button';
      open.addEventListener('click', () => openArticle(l.articleId));
      li.append(open, element('p', 'kb__basis', l.basisText));
      list.append(li);
    }
    linkedBox.replaceChildren(element('h3', null, t('linked')), list);
  }

  function render() {
    const current = ticket();
    // A new ticket: its own suggestions and links, none of the last caller's.
    if ((current?.id ?? null) !== state.suggestFor) {
      state.suggestFor = current?.id ?? null;
      state.text = '';
      state.linked = [];
      state.linkedFor = current?.id ?? null;
      scheduleSuggest(0);
    }
    heading.textContent = t('heading');
    input.placeholder = t('searchPlaceholder');
    input.setAttribute('aria-label', t('searchLabel'));
    button.textContent = t('search');
    error.textContent = state.error ? t('failed', { detail: state.error }) : '';
    error.hidden = !state.error;
    renderSuggestions();
    renderResults();
    renderDetail();
    renderLinked();
    // An open article takes the lists' place, where the agent's eyes already are; 返回列表 brings them back.
    if (state.open) {
      suggestBox.hidden = true;
      resultsBox.hidden = true;
    } else {
      suggestBox.hidden = false;
    }
  }

  function scheduleSuggest(delay = SUGGEST_DELAY_MS) {
    clearTimeout(suggestTimer ?? undefined);
    if (!token()) return;
    suggestTimer = setTimeout(suggest, delay);
  }

  render();

  return {
    render,
    /** @param {string | null | undefined} text */
    ticketTextChanged(text) {
      state.text = text ?? '';
      scheduleSuggest();
    },
  };
}
