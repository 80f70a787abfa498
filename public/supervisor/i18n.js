/**
 * UI strings of the supervisors' wallboard, in Chinese (the default) and English.
 *
 * Names the server owns (regions, topics, languages) are not kept here: they come with the
 * hello frame (regions with Chinese name and pinyin, the topic and language catalogue).
 */

const STORAGE_KEY = 'hotline.lang';

const STRINGS = {
  zh: {
    'app.title': '12348 法律服务热线 · 值班长看板',
    'lang.toggle': 'English',
    'lang.toggleLabel': 'Switch to English',
    'common.none': '—',
    'common.close': '关闭',

    'login.heading': '值班长 / 管理员登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.failed': '登录失败，请检查用户名和密码',
    'login.network': '无法连接服务器，请检查网络后重试',
    'login.notSupervisor': '此页面仅供值班长和管理员使用；坐席请使用坐席工作台（/softphone）',
    'login.sessionEnded': '登录已失效，请重新登录',
    'login.refused': '看板拒绝了连接，请重新登录（如仍无法登录，请联系管理员）',
    'login.loggedOut': '您已退出登录',
    'logout': '退出登录',

    'conn.connecting': '正在连接',
    'conn.connected': '实时',
    'conn.reconnecting': '重新连接中',
    'conn.offline': '未连接',

    'user.scope': '管辖范围：{region}',
    'role.supervisor': '值班长',
    'role.admin': '管理员',

    'tab.board': '实时看板',
    'tab.agents': '坐席调配',
    'tab.staffing': '排班测算',

    'focus.label': '查看地区',
    'focus.up': '返回上级',
    'focus.updated': '更新于 {time}',
    'focus.waitingBoard': '正在载入数据…',

    'tile.waiting': '排队等待',
    'tile.longest': '最长等待',
    'tile.slToday': '今日服务水平',
    'tile.sl30m': '近30分钟服务水平',
    'tile.abandon': '今日放弃率',
    'tile.calls': '今日呼入 / 接通 / 放弃',
    'tile.agents': '坐席状态',
    'tile.seats': '坐席：计划 / 在线 / 需要',
    'tile.slHint': '{threshold} 秒内接通的比例（目标 {target}）',
    'tile.seatsHint': '需要数按近30分钟来电量以 Erlang C 测算',
    'tile.noPlan': '无计划',

    'state.ready': '就绪',
    'state.reserved': '振铃',
    'state.on_call': '通话',
    'state.wrap_up': '整理',
    'state.not_ready': '未就绪',
    'state.offline': '离线',

    'map.heading': '各地区服务水平',
    'map.metric': '着色依据',
    'map.metric.today': '今日',
    'map.metric.30m': '近30分钟',
    'map.legend': '图例',
    'map.good': '≥ 80%',
    'map.warn': '60% – 80%',
    'map.bad': '< 60%',
    'map.none': '暂无来电',
    'map.tileLabel': '{region}：服务水平 {sl}，排队 {waiting}，在线坐席 {seats}',
    'map.waiting': '排队 {n}',
    'map.open': '查看 {region}',

    'charts.heading': '图表',
    'charts.sl': '今日服务水平走势',
    'charts.slReport': '数据来自日报（{region}）',
    'charts.slSamples': '本页打开以来的实时采样（日报接口暂未开放）',
    'charts.slSamplesNoSeries': '本页打开以来的实时采样（日报未提供分时数据）',
    'charts.slSamplesEmpty': '本页打开以来的实时采样（日报今日尚无分时数据）',
    'charts.slEmpty': '暂无数据',
    'charts.target': '目标 {target}',
    'charts.series.today': '今日累计',
    'charts.series.30m': '近30分钟',
    'charts.series.report': '服务水平',
    'charts.volume': '各地区今日呼入与接通',
    'charts.offered': '呼入',
    'charts.answered': '接通',
    'charts.volumeEmpty': '今日暂无来电',

    'table.heading': '分地区明细',
    'table.region': '地区',
    'table.waiting': '排队',
    'table.longest': '最长等待',
    'table.agents': '就绪 / 振铃 / 通话 / 整理 / 未就绪',
    'table.slToday': '服务水平（今日）',
    'table.sl30m': '服务水平（30分）',
    'table.abandon': '放弃率',
    'table.seats': '计划 / 在线 / 需要',
    'table.offered': '呼入 / 接通',

    'alerts.heading': '告警',
    'alerts.empty': '暂无告警',
    'alerts.clear': '清空',
    'alert.referral_overdue': '转介逾期',
    'alert.risk_call': '风险来电',
    'alert.missed_call': '多次未接',
    'alert.topic_spike': '咨询激增',
    'alert.referral_overdue.text': '工单 {ticket} 转{kind}，{org}未按期{deadline}',
    'alert.deadline.accept': '受理',
    'alert.deadline.close': '办结',
    'alert.referralKind.legal_aid': '法律援助',
    'alert.referralKind.mediation': '人民调解',
    'alert.referralKind.diversion': '其他部门',
    'alert.org.unknown': '受理单位',
    'alert.risk_call.text': '工单 {ticket} 标记为风险（{topic}）',
    'alert.missed_call.text': '来电已被 {n} 名坐席错过，已等待 {wait}（{topic}）',
    'alert.topic_spike.text': '“{topic}”今日 {today} 件，约为常态的 {ratio} 倍（常态 {baseline}）',

    'agents.heading': '坐席调配',
    'agents.help': '调整坐席的服务地区后，路由立即按新地区分配来电。',
    'agents.region': '地区',
    'agents.reload': '刷新',
    'agents.loading': '正在载入坐席…',
    'agents.empty': '该地区暂无坐席',
    'agents.name': '姓名',
    'agents.username': '用户名',
    'agents.serving': '服务地区',
    'agents.state': '当前状态',
    'agents.languages': '语言',
    'agents.moveTo': '调往',
    'agents.move': '调整',
    'agents.moved': '已将 {name} 调往 {region}',
    'agents.same': '请选择一个不同的地区',
    'agents.disabled': '已停用',

    'staffing.unavailable': '该功能尚未开放（接口未上线），请稍后再试。',
    'staffing.rateLimited': '请求过于频繁，请稍后再试。',
    'staffing.failed': '请求失败：{detail}',
    'staffing.network': '无法连接服务器',

    'erlang.heading': 'Erlang 坐席测算',
    'erlang.help': '按来电量、平均处理时长和服务目标，计算所需坐席数（填写耐心时长时按 Erlang A 计入放弃）。',
    'erlang.calls': '来电量（每时段）',
    'erlang.interval': '时段长度（秒）',
    'erlang.aht': '平均处理时长（秒）',
    'erlang.target': '目标服务水平（%）',
    'erlang.threshold': '接通时限（秒）',
    'erlang.patience': '来电者耐心（秒，可选）',
    'erlang.useCurrent': '填入当前数据',
    'erlang.submit': '计算',
    'erlang.invalid': '请检查输入：{field}',
    'erlang.agents': '所需坐席（在线）',
    'erlang.scheduled': '需排班坐席',
    'erlang.serviceLevel': '服务水平',
    'erlang.asa': '平均应答速度',
    'erlang.occupancy': '坐席占用率',
    'erlang.pWait': '需要等待的概率',
    'erlang.pAbandon': '放弃概率',
    'erlang.note': '说明',

    'plan.heading': '坐席分配建议与排班计划',
    'plan.help': '按人口与来电预测给出的各地区坐席建议，与按人口比例分配对比；可保存为当日计划并模拟验证。',
    'plan.date': '日期',
    'plan.interval': '时段',
    'plan.load': '载入建议',
    'plan.loading': '正在计算…',
    'plan.region': '地区',
    'plan.forecast': '预测来电',
    'plan.recommended': '建议坐席',
    'plan.proportional': '按人口比例',
    'plan.saved': '已保存计划',
    'plan.dayForecast': '全天预测',
    'plan.seatHours': '全天坐席·时（建议 / 比例）',
    'plan.summary': '预计服务水平：建议方案 {rec}，按人口比例 {prop}',
    'plan.save': '保存为当日计划',
    'plan.savedOk': '{date} 的排班计划已保存',
    'plan.noPlan': '当日尚无已保存的计划',
    'plan.empty': '没有管辖范围内的地区数据',

    'sim.heading': '排班模拟',
    'sim.help': '按预测来电和实际路由规则模拟一天，检验计划效果。',
    'sim.plan': '方案',
    'sim.plan.saved': '已保存计划',
    'sim.plan.recommended': '建议方案',
    'sim.run': '开始模拟',
    'sim.running': '正在模拟…',
    'sim.region': '地区',
    'sim.offered': '呼入',
    'sim.answered': '接通',
    'sim.abandoned': '放弃',
    'sim.serviceLevel': '服务水平',
    'sim.asa': '平均应答',
    'sim.abandonment': '放弃率',
    'sim.province': '全省',

    'msg.notConnected': '未连接服务器，请稍后再试',
    'msg.dismiss': '关闭提示',
    'unit.seconds': '{n} 秒',
  },
  en: {
    'app.title': '12348 Legal Hotline · Supervisor wallboard',
    'lang.toggle': '中文',
    'lang.toggleLabel': '切换到中文',
    'common.none': '—',
    'common.close': 'Close',

    'login.heading': 'Supervisor / administrator sign-in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.failed': 'Sign-in failed: check the username and password',
    'login.network': 'Cannot reach the server; check the network and try again',
    'login.notSupervisor': 'This page is for supervisors and administrators; agents use the softphone (/softphone)',
    'login.sessionEnded': 'Your sign-in has expired; please sign in again',
    'login.refused': 'The wallboard refused the connection; please sign in again (ask an administrator if this persists)',
    'login.loggedOut': 'You have signed out',
    'logout': 'Sign out',

    'conn.connecting': 'Connecting',
    'conn.connected': 'Live',
    'conn.reconnecting': 'Reconnecting',
    'conn.offline': 'Offline',

    'user.scope': 'Area: {region}',
    'role.supervisor': 'Supervisor',
    'role.admin': 'Administrator',

    'tab.board': 'Live board',
    'tab.agents': 'Agents',
    'tab.staffing': 'Staffing',

    'focus.label': 'Region',
    'focus.up': 'Up one level',
    'focus.updated': 'Updated {time}',
    'focus.waitingBoard': 'Loading figures…',

    'tile.waiting': 'Calls waiting',
    'tile.longest': 'Longest wait',
    'tile.slToday': 'Service level today',
    'tile.sl30m': 'Service level, last 30 min',
    'tile.abandon': 'Abandoned today',
    'tile.calls': 'Today: offered / answered / abandoned',
    'tile.agents': 'Agents by state',
    'tile.seats': 'Seats: planned / logged in / needed',
    'tile.slHint': 'Answered within {threshold} s (target {target})',
    'tile.seatsHint': 'Needed: Erlang C on the last 30 minutes\' calls',
    'tile.noPlan': 'no plan',

    'state.ready': 'Ready',
    'state.reserved': 'Ringing',
    'state.on_call': 'On a call',
    'state.wrap_up': 'Wrap-up',
    'state.not_ready': 'Not ready',
    'state.offline': 'Offline',

    'map.heading': 'Service level by region',
    'map.metric': 'Colour by',
    'map.metric.today': 'Today',
    'map.metric.30m': 'Last 30 min',
    'map.legend': 'Legend',
    'map.good': '≥ 80%',
    'map.warn': '60% – 80%',
    'map.bad': '< 60%',
    'map.none': 'No calls yet',
    'map.tileLabel': '{region}: service level {sl}, {waiting} waiting, {seats} agents signed in',
    'map.waiting': '{n} waiting',
    'map.open': 'Open {region}',

    'charts.heading': 'Charts',
    'charts.sl': 'Service level through the day',
    'charts.slReport': 'From the daily report ({region})',
    'charts.slSamples': 'Live samples since this page opened (the daily report is not available yet)',
    'charts.slSamplesNoSeries': 'Live samples since this page opened (the daily report has no intervals)',
    'charts.slSamplesEmpty': 'Live samples since this page opened (no half-hour figures in today\'s report yet)',
    'charts.slEmpty': 'No data yet',
    'charts.target': 'Target {target}',
    'charts.series.today': 'Today so far',
    'charts.series.30m': 'Last 30 min',
    'charts.series.report': 'Service level',
    'charts.volume': 'Calls offered and answered today by region',
    'charts.offered': 'Offered',
    'charts.answered': 'Answered',
    'charts.volumeEmpty': 'No calls today yet',

    'table.heading': 'Regions in detail',
    'table.region': 'Region',
    'table.waiting': 'Waiting',
    'table.longest': 'Longest wait',
    'table.agents': 'Ready / ringing / on call / wrap-up / not ready',
    'table.slToday': 'SL today',
    'table.sl30m': 'SL 30 min',
    'table.abandon': 'Abandoned',
    'table.seats': 'Planned / logged in / needed',
    'table.offered': 'Offered / answered',

    'alerts.heading': 'Alerts',
    'alerts.empty': 'No alerts',
    'alerts.clear': 'Clear',
    'alert.referral_overdue': 'Referral overdue',
    'alert.risk_call': 'Risk call',
    'alert.missed_call': 'Missed repeatedly',
    'alert.topic_spike': 'Topic spike',
    'alert.referral_overdue.text': 'Ticket {ticket} referred to {kind}: {org} missed the {deadline} deadline',
    'alert.deadline.accept': 'acceptance',
    'alert.deadline.close': 'closing',
    'alert.referralKind.legal_aid': 'legal aid',
    'alert.referralKind.mediation': 'mediation',
    'alert.referralKind.diversion': 'a department',
    'alert.org.unknown': 'the organisation',
    'alert.risk_call.text': 'Ticket {ticket} flagged as a risk ({topic})',
    'alert.missed_call.text': 'Missed by {n} agents, waiting {wait} ({topic})',
    'alert.topic_spike.text': '"{topic}": {today} calls today, about {ratio}× the usual ({baseline})',

    'agents.heading': 'Move agents',
    'agents.help': 'A new serving region applies to routing at once.',
    'agents.region': 'Region',
    'agents.reload': 'Reload',
    'agents.loading': 'Loading agents…',
    'agents.empty': 'No agents in this region',
    'agents.name': 'Name',
    'agents.username': 'Username',
    'agents.serving': 'Serving region',
    'agents.state': 'State now',
    'agents.languages': 'Languages',
    'agents.moveTo': 'Move to',
    'agents.move': 'Move',
    'agents.moved': '{name} now serves {region}',
    'agents.same': 'Choose a different region',
    'agents.disabled': 'disabled',

    'staffing.unavailable': 'Not available yet (the endpoint is not live); please try again later.',
    'staffing.rateLimited': 'Too many requests; please try again shortly.',
    'staffing.failed': 'Request failed: {detail}',
    'staffing.network': 'Cannot reach the server',

    'erlang.heading': 'Erlang calculator',
    'erlang.help': 'Agents needed for a load, handle time and service target (with patience, Erlang A accounts for abandonment).',
    'erlang.calls': 'Calls per interval',
    'erlang.interval': 'Interval (s)',
    'erlang.aht': 'Average handle time (s)',
    'erlang.target': 'Target service level (%)',
    'erlang.threshold': 'Answer within (s)',
    'erlang.patience': 'Caller patience (s, optional)',
    'erlang.useCurrent': 'Use current figures',
    'erlang.submit': 'Calculate',
    'erlang.invalid': 'Check the input: {field}',
    'erlang.agents': 'Agents on the phones',
    'erlang.scheduled': 'Agents to schedule',
    'erlang.serviceLevel': 'Service level',
    'erlang.asa': 'Average speed of answer',
    'erlang.occupancy': 'Occupancy',
    'erlang.pWait': 'Probability of waiting',
    'erlang.pAbandon': 'Probability of abandoning',
    'erlang.note': 'Note',

    'plan.heading': 'Seat recommendation and plan',
    'plan.help': 'Seats per region from the call forecast and population, beside a population-proportional split; save as the day\'s plan and simulate it.',
    'plan.date': 'Date',
    'plan.interval': 'Interval',
    'plan.load': 'Load recommendation',
    'plan.loading': 'Computing…',
    'plan.region': 'Region',
    'plan.forecast': 'Forecast calls',
    'plan.recommended': 'Recommended seats',
    'plan.proportional': 'Population-proportional',
    'plan.saved': 'Saved plan',
    'plan.dayForecast': 'Forecast, whole day',
    'plan.seatHours': 'Seat-hours (recommended / proportional)',
    'plan.summary': 'Expected service level: recommended {rec}, proportional {prop}',
    'plan.save': 'Save as the day\'s plan',
    'plan.savedOk': 'The plan for {date} is saved',
    'plan.noPlan': 'No plan saved for the day yet',
    'plan.empty': 'No figures for regions in your area',

    'sim.heading': 'Simulate a day',
    'sim.help': 'Simulates the day under a plan with forecast arrivals and the real routing rules.',
    'sim.plan': 'Plan',
    'sim.plan.saved': 'Saved plan',
    'sim.plan.recommended': 'Recommendation',
    'sim.run': 'Run simulation',
    'sim.running': 'Simulating…',
    'sim.region': 'Region',
    'sim.offered': 'Offered',
    'sim.answered': 'Answered',
    'sim.abandoned': 'Abandoned',
    'sim.serviceLevel': 'Service level',
    'sim.asa': 'ASA',
    'sim.abandonment': 'Abandonment',
    'sim.province': 'Province',

    'msg.notConnected': 'Not connected to the server; try again in a moment',
    'msg.dismiss': 'Dismiss',
    'unit.seconds': '{n} s',
  },
};

function storedLang() {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    // Storage can be blocked; Chinese is the hotline's default anyway.
    return 'zh';
  }
}

let current = storedLang();

export function getLang() {
  return current;
}

export function setLang(lang) {
  current = lang === 'en' ? 'en' : 'zh';
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // Not persisting is acceptable: the switch still applies to this page.
  }
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/** The UI string for key, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function has(key) {
  return key in STRINGS[current];
}

/** Picks the zh or en variant of a pair the server sent. */
export function pick(zh, en) {
  return current === 'zh' ? zh || en || '' : en || zh || '';
}

/** Fills static text: data-i18n (text), data-i18n-label (aria-label), data-i18n-title (title). */
export function applyStaticText(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.setAttribute('title', t(el.dataset.i18nTitle));
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}
