/**
 * The 知识库 tab: supervisors and admins keep the knowledge base agents answer from. Search or
 * list the articles (in effect, retired, all), open one with its versions, edit it (saved as its
 * next version; an edit started from an older version is refused by the server), write a new one,
 * retire one. A module of its own, with its own strings (zh and en): app.js gives it the tab's
 * view and calls load() when the tab is chosen.
 *
 * REST: GET /api/knowledge, GET /api/knowledge/:id, POST /api/knowledge, PUT /api/knowledge/:id,
 * POST /api/knowledge/:id/retire.
 */

import { getLang, pick } from './i18n.js';
import { api, query } from './api.js';
import { element } from './util.js';

const STRINGS = {
  zh: {
    tab: '知识库',
    heading: '法律知识库',
    help: '坐席在通话中搜索和引用这些条目。每次修改保存为新版本；停用的条目不再被搜索到，已引用它的工单仍显示。',
    search: '搜索',
    searchPlaceholder: '标题、问题或来电人的说法',
    status: '范围',
    'status.active': '在用',
    'status.retired': '已停用',
    'status.all': '全部',
    new: '新建条目',
    title: '标题',
    topic: '类别',
    version: '版本',
    basis: '法律依据',
    state: '状态',
    active: '在用',
    retired: '已停用',
    none: '没有条目',
    total: '共 {n} 条',
    editing: '编辑条目（当前第 {v} 版）',
    creating: '新建条目',
    question: '来电人的问题',
    answer: '解答要点',
    basisHelp: '每行一部法律：法律名称 第X条、第Y条（不确定条号的只写法律名称）',
    keywords: '来电人的说法（关键词，以逗号或顿号分隔）',
    regions: '适用地区代码（以逗号分隔，留空为全省）',
    effectiveFrom: '生效日期',
    effectiveTo: '失效日期（可空）',
    note: '修改说明',
    save: '保存',
    saved: '已保存为第 {v} 版',
    retire: '停用',
    retireReason: '停用原因',
    retiredDone: '已停用',
    versions: '版本记录',
    versionLine: '第 {v} 版 · {who} · {at}',
    project: '项目内置',
    close: '关闭',
    failed: '操作失败：{detail}',
  },
  en: {
    tab: 'Knowledge',
    heading: 'Legal knowledge base',
    help: 'Agents search and cite these articles on calls. Every edit is saved as a new version; a retired article is no longer found, and still shows on the tickets that used it.',
    search: 'Search',
    searchPlaceholder: "Title, question or the caller's words",
    status: 'Show',
    'status.active': 'In effect',
    'status.retired': 'Retired',
    'status.all': 'All',
    new: 'New article',
    title: 'Title',
    topic: 'Topic',
    version: 'Version',
    basis: 'Legal basis',
    state: 'State',
    active: 'In effect',
    retired: 'Retired',
    none: 'No articles',
    total: '{n} articles',
    editing: 'Edit article (now version {v})',
    creating: 'New article',
    question: "The caller's question",
    answer: 'Answer',
    basisHelp: 'One law a line: its name, then 第X条、第Y条 (the name alone when unsure of the number)',
    keywords: "The caller's words (keywords, comma-separated)",
    regions: 'Region codes it applies to (comma-separated; empty: the whole province)',
    effectiveFrom: 'In effect from',
    effectiveTo: 'In effect until (optional)',
    note: 'What changed',
    save: 'Save',
    saved: 'Saved as version {v}',
    retire: 'Retire',
    retireReason: 'Why',
    retiredDone: 'Retired',
    versions: 'Versions',
    versionLine: 'version {v} · {who} · {at}',
    project: 'shipped',
    close: 'Close',
    failed: 'Failed: {detail}',
  },
};

const t = (key, params = {}) => (STRINGS[getLang()]?.[key] ?? STRINGS.zh[key]).replace(/\{(\w+)\}/g, (w, name) => (name in params ? String(params[name]) : w));
const split = (text) => text.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** "中华人民共和国劳动合同法 第三十条、第八十五条" ⇄ { law, articles }. */
function basisLines(basis) {
  return basis.map((b) => [b.law, b.articles.join('、')].filter(Boolean).join(' ')).join('\n');
}
function parseBasis(text) {
  return text
    .split('\n')
    .map((line) => line.trim().replace(/^《|》/g, ''))
    .filter(Boolean)
    .map((line) => {
      const [law, ...rest] = line.split(/\s+/);
      return { law, articles: split(rest.join(' ')) };
    });
}

export function createKnowledgePanel(ctx, { tab, view }) {
  const state = { status: 'active', q: '', list: null, open: null, versions: [], creating: false, message: null, error: null };

  // ---- fixed parts ----
  const heading = element('h2');
  const help = element('p', 'muted');
  const form = element('form', 'kb-admin__toolbar');
  const q = element('input');
  q.type = 'search';
  q.id = 'kb-admin-query';
  q.maxLength = 200;
  const status = element('select');
  status.id = 'kb-admin-status';
  const searchButton = element('button', 'btn btn--small');
  searchButton.type = 'submit';
  const newButton = element('button', 'btn btn--small');
  newButton.type = 'button';
  newButton.id = 'kb-admin-new';
  form.append(q, status, searchButton, newButton);
  const message = element('p', 'notice');
  message.setAttribute('role', 'status');
  const total = element('p', 'muted');
  const tableWrap = element('div', 'table-wrap');
  const table = element('table', 'data-table');
  table.id = 'kb-admin-table';
  tableWrap.append(table);
  const editor = element('section', 'panel kb-admin__editor');
  editor.id = 'kb-admin-editor';
  const listPanel = element('section', 'panel');
  listPanel.append(heading, help, form, message, total, tableWrap);
  view.replaceChildren(listPanel, editor);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state.q = q.value.trim();
    state.status = status.value;
    load();
  });
  newButton.addEventListener('click', () => {
    state.open = null;
    state.versions = [];
    state.creating = true;
    state.message = null;
    render();
  });
  // The page's language switch sets <html lang>; the tab follows it.
  new MutationObserver(() => render()).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

  const call = (method, url, body) => api(method, url, { token: ctx.token(), body });
  function failed(res) {
    if (res.status === 401) ctx.onUnauthorised?.();
    state.error = res.message ? pick(res.message.zh, res.message.en) : `HTTP ${res.status}`;
    render();
  }

  async function load() {
    const res = await call('GET', `/api/knowledge${query({ q: state.q, status: state.status, limit: 100 })}`);
    if (!res.ok) return failed(res);
    state.list = res.body;
    state.error = null;
    render();
  }

  async function open(id) {
    const res = await call('GET', `/api/knowledge/${encodeURIComponent(id)}`);
    if (!res.ok) return failed(res);
    state.open = res.body.article;
    state.versions = res.body.versions ?? [];
    state.creating = false;
    state.error = null;
    render();
  }

  function topicName(code) {
    const item = ctx.catalogue().topics?.find((x) => x.code === code);
    return item ? pick(item.zh, item.en) : code;
  }

  // ---- the list ----
  function renderTable() {
    const head = element('thead');
    const tr = element('tr');
    for (const key of ['title', 'topic', 'version', 'basis', 'state']) {
      const th = element('th', null, t(key));
      th.scope = 'col';
      tr.append(th);
    }
    head.append(tr);
    const body = element('tbody');
    for (const item of state.list?.items ?? []) {
      const row = element('tr');
      row.dataset.articleId = item.id;
      const title = element('button', 'link-button', item.title);
      title.type = 'button';
      title.addEventListener('click', () => open(item.id));
      const cell = element('td');
      cell.append(title);
      row.append(cell, element('td', null, topicName(item.topic)), element('td', null, String(item.version)), element('td', null, item.basisText), element('td', null, item.retired ? t('retired') : t('active')));
      body.append(row);
    }
    table.replaceChildren(head, body);
    total.textContent = state.list ? (state.list.items.length ? t('total', { n: state.list.total }) : t('none')) : '';
  }

  // ---- the editor ----
  function field(labelKey, control) {
    const label = element('label', 'field');
    label.append(element('span', 'field__label', t(labelKey)), control);
    return label;
  }
  function input(id, value, type = 'text') {
    const el = element('input');
    el.type = type;
    el.id = id;
    el.value = value ?? '';
    return el;
  }
  function textarea(id, value, rows) {
    const el = element('textarea');
    el.id = id;
    el.rows = rows;
    el.value = value ?? '';
    return el;
  }

  function renderEditor() {
    const a = state.open;
    editor.hidden = !a && !state.creating;
    if (editor.hidden) return;
    const title = input('kb-edit-title', a?.title);
    const topic = element('select');
    topic.id = 'kb-edit-topic';
    for (const item of ctx.catalogue().topics ?? []) {
      const option = element('option', null, pick(item.zh, item.en));
      option.value = item.code;
      topic.append(option);
    }
    topic.value = a?.topic ?? 'other';
    const question = textarea('kb-edit-question', a?.question, 2);
    const answer = textarea('kb-edit-answer', a?.answer, 8);
    const basis = textarea('kb-edit-basis', a ? basisLines(a.basis) : '', 3);
    basis.title = t('basisHelp');
    const keywords = input('kb-edit-keywords', a?.keywords.join('、'));
    const regions = input('kb-edit-regions', a?.regions.join(', '));
    const from = input('kb-edit-from', a?.effectiveFrom ?? today(), 'date');
    const to = input('kb-edit-to', a?.effectiveTo ?? '', 'date');
    const note = input('kb-edit-note', '');
    const save = element('button', 'btn btn--primary', t('save'));
    save.type = 'button';
    save.id = 'kb-edit-save';
    save.disabled = Boolean(a?.retired);
    const close = element('button', 'btn', t('close'));
    close.type = 'button';
    close.addEventListener('click', () => {
      state.open = null;
      state.creating = false;
      render();
    });

    save.addEventListener('click', async () => {
      const body = {
        title: title.value,
        question: question.value,
        answer: answer.value,
        basis: parseBasis(basis.value),
        topic: topic.value,
        regions: split(regions.value),
        keywords: split(keywords.value),
        effectiveFrom: from.value,
        effectiveTo: to.value || null,
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
      };
      const res = a ? await call('PUT', `/api/knowledge/${a.id}`, { ...body, baseVersion: a.version }) : await call('POST', '/api/knowledge', body);
      if (!res.ok) return failed(res);
      state.open = res.body.article;
      state.versions = res.body.versions ?? [];
      state.creating = false;
      state.error = null;
      state.message = t('saved', { v: res.body.article.version });
      await load();
    });

    const controls = element('div', 'controls');
    controls.append(save, close);
    const parts = [
      element('h3', null, a ? t('editing', { v: a.version }) : t('creating')),
      field('title', title),
      field('topic', topic),
      field('question', question),
      field('answer', answer),
      field('basis', basis),
      element('p', 'muted', t('basisHelp')),
      field('keywords', keywords),
      field('regions', regions),
      field('effectiveFrom', from),
      field('effectiveTo', to),
      field('note', note),
      controls,
    ];

    if (a && !a.retired) {
      const reason = input('kb-retire-reason', '');
      const retire = element('button', 'btn btn--danger-outline', t('retire'));
      retire.type = 'button';
      retire.id = 'kb-retire';
      retire.addEventListener('click', async () => {
        const res = await call('POST', `/api/knowledge/${a.id}/retire`, reason.value.trim() ? { reason: reason.value.trim() } : {});
        if (!res.ok) return failed(res);
        state.open = res.body.article;
        state.versions = res.body.versions ?? [];
        state.message = t('retiredDone');
        await load();
      });
      const row = element('div', 'controls');
      row.append(field('retireReason', reason), retire);
      parts.push(row);
    } else if (a?.retired) {
      parts.push(element('p', 'notice', `${t('retired')}${a.retireReason ? `：${a.retireReason}` : ''}`));
    }

    if (a) {
      const list = element('ol', 'kb-admin__versions');
      list.id = 'kb-admin-versions';
      for (const v of state.versions) {
        const li = element('li', null, t('versionLine', { v: v.version, who: v.editedBy?.username ?? t('project'), at: new Date(v.editedAt).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai' }) }));
        if (v.note) li.append(element('span', 'muted', ` — ${v.note}`));
        list.append(li);
      }
      parts.push(element('h3', null, t('versions')), list);
    }
    editor.replaceChildren(...parts);
  }

  function render() {
    tab.textContent = t('tab');
    heading.textContent = t('heading');
    help.textContent = t('help');
    q.placeholder = t('searchPlaceholder');
    q.setAttribute('aria-label', t('search'));
    status.setAttribute('aria-label', t('status'));
    const chosen = status.value || state.status;
    status.replaceChildren(
      ...['active', 'retired', 'all'].map((s) => {
        const option = element('option', null, t(`status.${s}`));
        option.value = s;
        return option;
      }),
    );
    status.value = chosen;
    searchButton.textContent = t('search');
    newButton.textContent = t('new');
    const text = state.error ? t('failed', { detail: state.error }) : state.message;
    message.textContent = text ?? '';
    message.hidden = !text;
    renderTable();
    renderEditor();
  }

  render();
  return { load, render };
}
