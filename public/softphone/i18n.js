/**
 * UI strings of the agent softphone, in Chinese (the default) and English.
 *
 * Names of codes the server owns (topics, languages, outcomes, not-ready reasons) are NOT kept
 * here: they come with the hello frame's catalogue, so the page never drifts from the server.
 * The few codes below that have a fallback name are ones the catalogue may not list (states,
 * and the not-ready reasons the server sets by itself: 'login', 'missed').
 */

const STORAGE_KEY = 'hotline.lang';

const STRINGS = {
  zh: {
    'app.title': '12348 法律服务热线 · 坐席工作台',
    'app.titleRinging': '【来电】12348 坐席工作台',
    'lang.toggle': 'English',
    'lang.toggleLabel': 'Switch to English',

    'login.heading': '坐席登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.failed': '登录失败，请检查用户名和密码',
    'login.network': '无法连接服务器，请检查网络后重试',
    'login.sessionEnded': '登录已失效，请重新登录',
    'login.refused': '工作台拒绝了连接，请重新登录（如仍无法登录，请联系管理员）',
    'login.loggedOut': '您已退出登录',

    'conn.connecting': '正在连接',
    'conn.connected': '已连接',
    'conn.reconnecting': '重新连接中',
    'conn.replaced': '已在别处登录',
    'conn.offline': '未连接',
    'conn.label': '连接状态',

    'replaced.message': '您已在其他窗口或设备登录',
    'replaced.help': '本窗口已停止接收来电。如需在本窗口继续工作，请点击下面的按钮。',
    'replaced.reconnect': '在本窗口继续工作',

    'agent.label': '坐席',

    'state.heading': '我的状态',
    'state.offline': '离线',
    'state.ready': '就绪',
    'state.reserved': '来电振铃',
    'state.on_call': '通话中',
    'state.wrap_up': '话后整理',
    'state.not_ready': '未就绪',
    'state.withReason': '{state}（{reason}）',
    'state.since': '已持续 {time}',
    'reason.login': '刚登录',
    'reason.missed': '未接来电',
    'reason.break': '休息',
    'reason.meal': '用餐',
    'reason.training': '培训',
    'reason.other': '其他',
    'state.goReady': '开始接听（就绪）',
    'state.reasonLabel': '暂停原因',
    'state.goNotReady': '暂停接听',
    'state.logout': '退出登录',

    'queue.heading': '排队情况',
    'queue.waiting': '等待人数',
    'queue.longest': '最长等待',
    'queue.ready': '空闲坐席',
    'queue.estimate': '预计等待',

    'offer.heading': '来电',
    'offer.callback': '回拨任务',
    'offer.number': '来电号码',
    'offer.region': '地区',
    'offer.language': '语言',
    'offer.topic': '咨询事项',
    'offer.wait': '已等待',
    'offer.countdown': '剩余接听时间（秒）',
    'offer.accept': '接听',
    'offer.decline': '拒接',
    'offer.connecting': '正在接通，请稍候…',
    'offer.history': '此来电者以前的来电',
    'offer.noHistory': '没有以前的来电记录',

    'cancelled.timeout': '来电未接听，已转回队列',
    'cancelled.declined': '已拒接，来电已转回队列',
    'cancelled.agent_lost': '连接中断，来电已转回队列',
    'cancelled.bridge_failed': '来电接通失败，已转回队列',
    'cancelled.caller_left': '来电者已挂断',
    'cancelled.other': '来电已取消',

    'call.heading': '通话中',
    'call.number': '来电号码',
    'call.region': '地区',
    'call.language': '语言',
    'call.topic': '咨询事项',
    'call.timer': '通话时长',
    'call.held': '通话保持中，来电者听不到您的声音',
    'call.hold': '保持',
    'call.unhold': '恢复',
    'call.hangup': '挂断',
    'call.ended': '通话已结束，通话时长 {time}',
    'call.transferred': '通话已转出，通话时长 {time}',

    'transfer.heading': '转接',
    'transfer.kind': '转接到',
    'transfer.kind.agent': '其他坐席',
    'transfer.kind.region': '地区热线',
    'transfer.kind.number': '电话号码',
    'transfer.agent': '坐席',
    'transfer.region': '地区',
    'transfer.number': '电话号码',
    'transfer.mode': '转接方式',
    'transfer.mode.blind': '直接转接',
    'transfer.mode.consult': '先沟通再转接',
    'transfer.submit': '转接',
    'transfer.sent': '转接请求已发送',
    'transfer.wholeRegion': '{name}（全市/州）',
    'transfer.regionsLoading': '正在加载地区…',
    'transfer.regionsFailed': '地区列表加载失败',

    'interp.heading': '翻译协助',
    'interp.agent': '翻译坐席',
    'interp.number': '或翻译电话',
    'interp.submit': '邀请翻译',
    'interp.sent': '翻译邀请已发送',
    'interp.speaksCaller': '会说来电者的语言',

    'select.choose': '— 请选择 —',
    'select.noAgents': '— 暂无其他在线坐席 —',

    'invalid.agent': '请选择要转接的坐席',
    'invalid.region': '请选择要转接的地区',
    'invalid.number': '请输入 3 至 20 位数字的电话号码',
    'invalid.interpreter': '请选择翻译坐席，或输入翻译电话号码',

    'history.heading': '来电者历史记录',
    'history.risk': '有风险',
    'history.none': '没有以前的来电记录',

    'ticket.heading': '工单',
    'ticket.pending': '工单创建中…',
    'ticket.topic': '咨询事项',
    'ticket.topicNone': '— 未选择 —',
    'ticket.summary': '咨询内容摘要',
    'ticket.advice': '解答意见',
    'ticket.outcome': '处理结果',
    'ticket.outcomeNone': '— 未填写 —',
    'ticket.risk': '存在风险，需要关注（如人身安全、群体性纠纷）',
    'ticket.save': '保存工单',
    'ticket.saving': '正在保存…',
    'ticket.saved': '已保存 {time}',
    'ticket.unsaved': '有未保存的修改',

    'referral.heading': '转介与分流',
    'referral.region': '来电地区：{name}',
    'referral.kind': '转介类型',
    'referral.kind.legal_aid': '法律援助',
    'referral.kind.mediation': '人民调解',
    'referral.kind.diversion': '分流到其他部门',
    'referral.help.legal_aid': '转交来电地区（或其上级地区）的法律援助中心，由中心审查决定是否给予法律援助。',
    'referral.help.mediation': '转交来电地区（或其上级地区）的人民调解委员会。',
    'referral.help.diversion': '告知来电者应向哪个部门反映，记录在工单中，不需要对方受理。',
    'referral.matter': '法律援助事项',
    'referral.matterChoose': '— 请选择事项 —',
    'referral.art31': '第三十一条（需审查经济困难）',
    'referral.art32': '第三十二条（不受经济困难条件限制）',
    'referral.otherMatters': '其他',
    'referral.groups': '来电者属于（可多选）',
    'referral.means': '经济状况',
    'referral.noFixedIncome': '无固定生活来源',
    'referral.assistance': '领取最低生活保障、司法救助，或属于优抚对象',
    'referral.income': '家庭月收入（元）',
    'referral.household': '家庭人口（人）',
    'referral.check': '预审是否符合条件',
    'referral.checking': '正在预审…',
    'referral.department': '分流部门',
    'referral.departmentPlaceholder': '可从列表选择，也可直接填写',
    'referral.note': '备注',
    'referral.send': '提交转介',
    'referral.sending': '正在提交…',
    'referral.verdict.likely_eligible': '初步判断：可能符合法律援助条件',
    'referral.verdict.likely_ineligible': '初步判断：可能不符合法律援助条件',
    'referral.verdict.needs_assessment': '初步判断：需由法律援助中心审查',
    'referral.verdictNote': '以上为热线预审，是否给予法律援助由法律援助中心决定。',
    'referral.article': '适用条款',
    'referral.article.31': '《法律援助法》第三十一条',
    'referral.article.32': '《法律援助法》第三十二条',
    'referral.article.none': '不属于第三十一、三十二条',
    'referral.incomeTest': '经济困难审查',
    'referral.incomeTest.not_required': '不需要',
    'referral.incomeTest.waived': '免予审查',
    'referral.incomeTest.passed': '未超过困难标准',
    'referral.incomeTest.failed': '超过困难标准',
    'referral.incomeTest.unknown': '待法律援助中心审查',
    'referral.standard': '困难标准',
    'referral.perPerson': '人均月收入',
    'referral.yuanPerMonth': '每人每月 {amount} 元',
    'referral.results': '本工单已提交的转介',
    'referral.to': '接收机构',
    'referral.toDepartment': '分流部门',
    'referral.status': '状态',
    'referral.status.pending': '待受理',
    'referral.status.accepted': '已受理',
    'referral.status.declined': '已退回',
    'referral.status.in_progress': '办理中',
    'referral.status.closed': '已办结',
    'referral.status.diverted': '已分流',
    'referral.acceptBy': '受理期限',
    'referral.preCheck': '预审结果',
    'referral.invalid.matter': '请选择法律援助事项',
    'referral.invalid.income': '家庭月收入请填写 0 至 10000000 之间的数字（元）',
    'referral.invalid.household': '家庭人口请填写 1 至 30 之间的整数',
    'referral.invalid.department': '请填写分流部门（至少 2 个字）',
    'referral.network': '无法连接服务器，请检查网络后重试',
    'referral.failed': '操作未成功（HTTP {status}），请重试',

    'matter.state_compensation': '依法请求国家赔偿',
    'matter.social_insurance_assistance': '请求给予社会保险待遇或者社会救助',
    'matter.pension': '请求发给抚恤金',
    'matter.support_maintenance': '请求给付赡养费、抚养费、扶养费',
    'matter.labour_wages_injury': '确认劳动关系或追索劳动报酬、工伤赔偿',
    'matter.legal_capacity': '请求认定公民无民事行为能力或者限制民事行为能力',
    'matter.personal_injury': '请求交通事故、食品药品安全事故、医疗事故等人身损害赔偿',
    'matter.environmental_damage': '请求环境污染、生态破坏损害赔偿',
    'matter.martyr_reputation': '英雄烈士近亲属维护英雄烈士的人格权益',
    'matter.good_samaritan': '因见义勇为行为主张相关民事权益',
    'matter.retrial_compensation': '再审改判无罪请求国家赔偿',
    'matter.abuse_domestic_violence': '遭受虐待、遗弃或家庭暴力的受害人主张相关权益',
    'matter.criminal_defence': '刑事案件辩护或代理',
    'matter.other': '其他事项',

    'group.minor': '未成年人',
    'group.elderly': '老年人',
    'group.disabled': '残疾人',
    'group.migrant_worker': '农民工（进城务工人员）',
    'group.military_family_veteran': '军人军属、退役军人',
    'group.low_income': '低收入人员',

    'wrapup.heading': '话后整理',
    'wrapup.countdownLabel': '剩余时间（秒）',
    'wrapup.end': '完成整理，开始接听',
    'wrapup.endNotReady': '完成整理，暂停接听',
    'wrapup.extend': '延长 60 秒',

    'audio.none': '模拟模式：无语音',
    'audio.loading': '正在加载语音组件…',
    'audio.registering': '语音登记中…',
    'audio.ready': '语音已就绪',
    'audio.ringing': '语音来电，接听后自动接通',
    'audio.inCall': '语音通话中',
    'audio.reconnecting': '语音服务器连接中断，正在重试…',
    'audio.error': '语音故障：{detail}',

    'msg.dismiss': '关闭',
    'msg.notConnected': '尚未连接到服务器，操作没有发出，请稍后再试',
    'msg.loadFailed': '数据加载失败：{detail}',
    'common.none': '—',
  },

  en: {
    'app.title': '12348 Legal Hotline · Agent Desk',
    'app.titleRinging': '[Incoming call] 12348 Agent Desk',
    'lang.toggle': '中文',
    'lang.toggleLabel': '切换到中文',

    'login.heading': 'Agent sign-in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.failed': 'Sign-in failed: check the username and password',
    'login.network': 'Cannot reach the server. Check the network and try again.',
    'login.sessionEnded': 'Your session has ended. Please sign in again.',
    'login.refused': 'The agent desk refused the connection. Please sign in again (ask an administrator if it keeps happening).',
    'login.loggedOut': 'You have signed out.',

    'conn.connecting': 'connecting',
    'conn.connected': 'connected',
    'conn.reconnecting': 'reconnecting',
    'conn.replaced': 'signed in elsewhere',
    'conn.offline': 'disconnected',
    'conn.label': 'Connection',

    'replaced.message': 'You signed in from another window or device.',
    'replaced.help': 'This window no longer receives calls. To keep working here, press the button below.',
    'replaced.reconnect': 'Continue in this window',

    'agent.label': 'Agent',

    'state.heading': 'My status',
    'state.offline': 'Offline',
    'state.ready': 'Ready',
    'state.reserved': 'Ringing',
    'state.on_call': 'On a call',
    'state.wrap_up': 'Wrap-up',
    'state.not_ready': 'Not ready',
    'state.withReason': '{state} ({reason})',
    'state.since': 'for {time}',
    'reason.login': 'just signed in',
    'reason.missed': 'missed a call',
    'reason.break': 'Break',
    'reason.meal': 'Meal',
    'reason.training': 'Training',
    'reason.other': 'Other',
    'state.goReady': 'Go ready',
    'state.reasonLabel': 'Reason',
    'state.goNotReady': 'Go not ready',
    'state.logout': 'Sign out',

    'queue.heading': 'Queue',
    'queue.waiting': 'Waiting',
    'queue.longest': 'Longest wait',
    'queue.ready': 'Agents ready',
    'queue.estimate': 'Estimated wait',

    'offer.heading': 'Incoming call',
    'offer.callback': 'Callback',
    'offer.number': 'Caller',
    'offer.region': 'Region',
    'offer.language': 'Language',
    'offer.topic': 'Topic',
    'offer.wait': 'Waited',
    'offer.countdown': 'Seconds left to answer',
    'offer.accept': 'Accept',
    'offer.decline': 'Decline',
    'offer.connecting': 'Connecting the call…',
    'offer.history': 'Earlier calls from this caller',
    'offer.noHistory': 'No earlier calls',

    'cancelled.timeout': 'Offer timed out and went back to the queue',
    'cancelled.declined': 'Declined: the call went back to the queue',
    'cancelled.agent_lost': 'Connection lost: the call went back to the queue',
    'cancelled.bridge_failed': 'The call could not be connected and went back to the queue',
    'cancelled.caller_left': 'The caller hung up',
    'cancelled.other': 'The offer was withdrawn',

    'call.heading': 'On a call',
    'call.number': 'Caller',
    'call.region': 'Region',
    'call.language': 'Language',
    'call.topic': 'Topic',
    'call.timer': 'Talk time',
    'call.held': 'On hold: the caller cannot hear you',
    'call.hold': 'Hold',
    'call.unhold': 'Resume',
    'call.hangup': 'Hang up',
    'call.ended': 'Call ended after {time}',
    'call.transferred': 'Call transferred after {time}',

    'transfer.heading': 'Transfer',
    'transfer.kind': 'Transfer to',
    'transfer.kind.agent': 'Another agent',
    'transfer.kind.region': 'A region\'s hotline',
    'transfer.kind.number': 'A phone number',
    'transfer.agent': 'Agent',
    'transfer.region': 'Region',
    'transfer.number': 'Phone number',
    'transfer.mode': 'Mode',
    'transfer.mode.blind': 'Blind',
    'transfer.mode.consult': 'Consult first',
    'transfer.submit': 'Transfer',
    'transfer.sent': 'Transfer requested',
    'transfer.wholeRegion': '{name} (whole prefecture)',
    'transfer.regionsLoading': 'Loading regions…',
    'transfer.regionsFailed': 'Could not load the regions',

    'interp.heading': 'Interpreter',
    'interp.agent': 'Interpreting agent',
    'interp.number': 'or interpreter\'s number',
    'interp.submit': 'Add interpreter',
    'interp.sent': 'Interpreter requested',
    'interp.speaksCaller': 'speaks the caller\'s language',

    'select.choose': '— choose —',
    'select.noAgents': '— no other agents signed in —',

    'invalid.agent': 'Choose the agent to transfer to',
    'invalid.region': 'Choose the region to transfer to',
    'invalid.number': 'Enter a phone number of 3 to 20 digits',
    'invalid.interpreter': 'Choose an interpreting agent or enter an interpreter\'s number',

    'history.heading': 'Caller\'s earlier calls',
    'history.risk': 'At risk',
    'history.none': 'No earlier calls',

    'ticket.heading': 'Ticket',
    'ticket.pending': 'Creating the ticket…',
    'ticket.topic': 'Topic',
    'ticket.topicNone': '— not set —',
    'ticket.summary': 'Summary of the question',
    'ticket.advice': 'Advice given',
    'ticket.outcome': 'Outcome',
    'ticket.outcomeNone': '— not set —',
    'ticket.risk': 'At risk, needs attention (personal safety, group dispute)',
    'ticket.save': 'Save ticket',
    'ticket.saving': 'Saving…',
    'ticket.saved': 'Saved {time}',
    'ticket.unsaved': 'Unsaved changes',

    'referral.heading': 'Referral and diversion',
    'referral.region': 'Caller\'s region: {name}',
    'referral.kind': 'Refer to',
    'referral.kind.legal_aid': 'Legal aid',
    'referral.kind.mediation': 'People\'s mediation',
    'referral.kind.diversion': 'Another department (diversion)',
    'referral.help.legal_aid': 'Sent to the legal aid centre of the caller\'s region (or the region above it), which decides whether to grant legal aid.',
    'referral.help.mediation': 'Sent to the people\'s mediation committee of the caller\'s region (or the region above it).',
    'referral.help.diversion': 'Tells the caller which department to turn to; recorded on the ticket, nobody has to accept it.',
    'referral.matter': 'Legal aid matter',
    'referral.matterChoose': '— choose the matter —',
    'referral.art31': 'Art. 31 (income test applies)',
    'referral.art32': 'Art. 32 (no income test)',
    'referral.otherMatters': 'Other',
    'referral.groups': 'The caller is (tick all that apply)',
    'referral.means': 'Means',
    'referral.noFixedIncome': 'No fixed income',
    'referral.assistance': 'Receives minimum living allowance or judicial assistance, or is entitled to special care',
    'referral.income': 'Household income per month (yuan)',
    'referral.household': 'People in the household',
    'referral.check': 'Pre-check eligibility',
    'referral.checking': 'Checking…',
    'referral.department': 'Department',
    'referral.departmentPlaceholder': 'Choose from the list or type a name',
    'referral.note': 'Note',
    'referral.send': 'Send referral',
    'referral.sending': 'Sending…',
    'referral.verdict.likely_eligible': 'Pre-check: likely eligible for legal aid',
    'referral.verdict.likely_ineligible': 'Pre-check: likely not eligible for legal aid',
    'referral.verdict.needs_assessment': 'Pre-check: the legal aid centre must assess',
    'referral.verdictNote': 'This is the hotline\'s pre-check; the legal aid centre decides.',
    'referral.article': 'Provision',
    'referral.article.31': 'Legal Aid Law, Art. 31',
    'referral.article.32': 'Legal Aid Law, Art. 32',
    'referral.article.none': 'Outside Art. 31 and 32',
    'referral.incomeTest': 'Income test',
    'referral.incomeTest.not_required': 'not required',
    'referral.incomeTest.waived': 'waived',
    'referral.incomeTest.passed': 'within the standard',
    'referral.incomeTest.failed': 'above the standard',
    'referral.incomeTest.unknown': 'to be assessed by the centre',
    'referral.standard': 'Hardship standard',
    'referral.perPerson': 'Income per person',
    'referral.yuanPerMonth': '{amount} yuan per person per month',
    'referral.results': 'Referrals sent for this ticket',
    'referral.to': 'Sent to',
    'referral.toDepartment': 'Department',
    'referral.status': 'Status',
    'referral.status.pending': 'waiting to be accepted',
    'referral.status.accepted': 'accepted',
    'referral.status.declined': 'declined',
    'referral.status.in_progress': 'in progress',
    'referral.status.closed': 'closed',
    'referral.status.diverted': 'diverted',
    'referral.acceptBy': 'To be accepted by',
    'referral.preCheck': 'Pre-check',
    'referral.invalid.matter': 'Choose the legal aid matter',
    'referral.invalid.income': 'Enter the household income as a number from 0 to 10000000 (yuan)',
    'referral.invalid.household': 'Enter the household size as a whole number from 1 to 30',
    'referral.invalid.department': 'Enter the department (at least 2 characters)',
    'referral.network': 'Cannot reach the server. Check the network and try again.',
    'referral.failed': 'That did not work (HTTP {status}). Try again.',

    'matter.state_compensation': 'State compensation claim',
    'matter.social_insurance_assistance': 'Social insurance benefits or social assistance',
    'matter.pension': 'Death or disability benefit (pension) claim',
    'matter.support_maintenance': 'Support for parents, child support or spousal maintenance',
    'matter.labour_wages_injury': 'Employment relationship, unpaid wages or work-injury compensation',
    'matter.legal_capacity': 'Declaring a person without or with limited civil capacity',
    'matter.personal_injury': 'Personal injury compensation (traffic, food and drug safety, medical accidents)',
    'matter.environmental_damage': 'Compensation for environmental pollution or ecological damage',
    'matter.martyr_reputation': 'Close relatives protecting a hero\'s or martyr\'s reputation',
    'matter.good_samaritan': 'Civil claims arising from a good Samaritan act',
    'matter.retrial_compensation': 'State compensation after acquittal on retrial',
    'matter.abuse_domestic_violence': 'Victim of abuse, abandonment or domestic violence',
    'matter.criminal_defence': 'Criminal defence or representation',
    'matter.other': 'Other matter',

    'group.minor': 'Minor',
    'group.elderly': 'Elderly person',
    'group.disabled': 'Person with a disability',
    'group.migrant_worker': 'Migrant worker',
    'group.military_family_veteran': 'Service member, military family or veteran',
    'group.low_income': 'Low-income person',

    'wrapup.heading': 'Wrap-up',
    'wrapup.countdownLabel': 'Seconds left',
    'wrapup.end': 'Finish and go ready',
    'wrapup.endNotReady': 'Finish and go not ready',
    'wrapup.extend': 'Extend by 60 s',

    'audio.none': 'Simulator mode: no audio',
    'audio.loading': 'Loading audio…',
    'audio.registering': 'Registering audio…',
    'audio.ready': 'Audio ready',
    'audio.ringing': 'Audio call ringing: it connects once you accept',
    'audio.inCall': 'Audio connected',
    'audio.reconnecting': 'Lost the audio server, retrying…',
    'audio.error': 'Audio problem: {detail}',

    'msg.dismiss': 'Dismiss',
    'msg.notConnected': 'Not connected to the server: nothing was sent. Try again in a moment.',
    'msg.loadFailed': 'Could not load data: {detail}',
    'common.none': '—',
  },
};

export const LANGUAGES = /** @type {const} */ (['zh', 'en']);

function storedLang() {
  try {
    const lang = localStorage.getItem(STORAGE_KEY);
    return lang === 'en' ? 'en' : 'zh';
  } catch {
    // Storage can be blocked (privacy settings); Chinese is the hotline's default anyway.
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

/** Whether a UI string exists (used for fallbacks of codes the catalogue may not carry). */
export function has(key) {
  return key in STRINGS[current];
}

/** Picks the zh or en variant of a pair the server sent (catalogue labels, error messages). */
export function pick(zh, en) {
  return current === 'zh' ? zh || en || '' : en || zh || '';
}

/**
 * Fills the static text of the page: elements carry data-i18n (text), data-i18n-label
 * (aria-label) or data-i18n-placeholder, so index.html holds no language of its own.
 */
export function applyStaticText(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}
