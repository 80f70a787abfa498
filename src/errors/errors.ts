import createError, { type FastifyError } from '@fastify/error';
import { format } from 'node:util';

/** A domain error: a FastifyError whose Chinese text, when it has a template, names what the English one names. */
export type DomainError = FastifyError & { messageZh?: string };

/**
 * One domain error: code, English template, HTTP status and optionally a Chinese template taking
 * the same arguments in the same order (the error handler sends it as messageZh).
 */
function coded(code: string, message: string, statusCode: number, messageZh?: string) {
  const Base = createError(code, message, statusCode) as unknown as new (...args: unknown[]) => DomainError;
  return class extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      if (messageZh) this.messageZh = format(messageZh, ...args);
    }
  };
}

/**
 * Every domain error is a constant with a code, an HTTP status and an English message template;
 * the Chinese template (or, for errors without one, ERROR_MESSAGES_ZH) gives the text pages show. The
 * error handler maps them to HTTP once.
 */
export const Errors = {
  VALIDATION: coded('HOTLINE_ERR_VALIDATION', '%s', 400),
  INVALID_CREDENTIALS: coded('HOTLINE_ERR_INVALID_CREDENTIALS', 'Wrong username or password', 401),
  UNAUTHENTICATED: coded('HOTLINE_ERR_UNAUTHENTICATED', 'Sign in first: %s', 401),
  FORBIDDEN_ROLE: coded('HOTLINE_ERR_FORBIDDEN_ROLE', 'The %s role may not do this', 403),
  OUT_OF_SCOPE: coded('HOTLINE_ERR_OUT_OF_SCOPE', 'Region %s is outside your area (%s)', 403, '地区 %s 不在您的管辖范围（%s）内'),
  NOT_FOUND: coded('HOTLINE_ERR_NOT_FOUND', 'No route %s %s', 404, '页面或接口不存在：%s %s'),
  AGENT_NOT_FOUND: coded('HOTLINE_ERR_AGENT_NOT_FOUND', 'No agent with id %s', 404, '坐席不存在：%s'),
  REGION_NOT_FOUND: coded('HOTLINE_ERR_REGION_NOT_FOUND', 'No region with code %s', 404, '地区不存在：%s'),
  NO_BOUNDARIES: coded('HOTLINE_ERR_NO_BOUNDARIES', 'No county boundaries for province %s in %s', 404, '省份 %s 的县级边界数据不在 %s 中'),
  UNKNOWN_REGION: coded('HOTLINE_ERR_UNKNOWN_REGION', '%s: region %s is not in this province', 400, '%s：地区 %s 不属于本省'),
  USERNAME_TAKEN: coded('HOTLINE_ERR_USERNAME_TAKEN', 'The username %s is already taken', 409, '用户名 %s 已被使用'),
  SIM_OFF: coded('HOTLINE_ERR_SIM_OFF', 'The call simulator is not running here (TELEPHONY does not include sim)', 404),
  SIM_CALL_NOT_FOUND: coded('HOTLINE_ERR_SIM_CALL_NOT_FOUND', 'No simulated call with id %s on this node', 404, '模拟来电不存在：%s'),
  SIM_CALL_ENDED: coded('HOTLINE_ERR_SIM_CALL_ENDED', 'Simulated call %s has already ended', 409, '模拟来电 %s 已结束'),
  SIM_NO_LEG: coded('HOTLINE_ERR_SIM_NO_LEG', 'Simulated call %s has no answered second leg', 409, '模拟来电 %s 没有已接通的第二路通话'),
  TWILIO_SIGNATURE: coded('HOTLINE_ERR_TWILIO_SIGNATURE', 'Not a request from Twilio: %s', 403),
  TWILIO_CALL_NOT_FOUND: coded('HOTLINE_ERR_TWILIO_CALL_NOT_FOUND', 'No Twilio call %s is known here', 404, '找不到 Twilio 通话 %s'),
  TWILIO_NOT_CONFIGURED: coded('HOTLINE_ERR_TWILIO_NOT_CONFIGURED', 'The Twilio softphone is not set up on this service: %s', 503),
  TICKET_NOT_FOUND: coded('HOTLINE_ERR_TICKET_NOT_FOUND', 'No ticket %s', 404, '工单不存在：%s'),
  NOT_YOUR_TICKET: coded('HOTLINE_ERR_NOT_YOUR_TICKET', 'Ticket %s belongs to another agent', 403, '工单 %s 属于其他坐席'),
  REFERRAL_NOT_FOUND: coded('HOTLINE_ERR_REFERRAL_NOT_FOUND', 'No referral %s', 404, '转介不存在：%s'),
  NOT_YOUR_REFERRAL: coded('HOTLINE_ERR_NOT_YOUR_REFERRAL', 'Referral %s was sent to another organisation', 403, '转介 %s 已发给其他机构'),
  REFERRAL_TRANSITION: coded('HOTLINE_ERR_REFERRAL_TRANSITION', 'Cannot %s a referral that is %s', 409),
  NO_ORGANISATION: coded('HOTLINE_ERR_NO_ORGANISATION', 'No %s serves region %s or any region above it', 422),
  ORGANISATION_NOT_FOUND: coded('HOTLINE_ERR_ORGANISATION_NOT_FOUND', 'No organisation %s', 404, '机构不存在：%s'),
  KNOWLEDGE_ARTICLE_NOT_FOUND: coded('HOTLINE_ERR_KNOWLEDGE_ARTICLE_NOT_FOUND', 'No knowledge article %s', 404, '知识库条目不存在：%s'),
  KNOWLEDGE_ARTICLE_RETIRED: coded('HOTLINE_ERR_KNOWLEDGE_ARTICLE_RETIRED', 'Knowledge article %s has been retired', 409, '知识库条目 %s 已停用'),
  KNOWLEDGE_VERSION_CONFLICT: coded('HOTLINE_ERR_KNOWLEDGE_VERSION_CONFLICT', 'Knowledge article %s is at version %s, not %s: someone saved it meanwhile; reload and edit again', 409, '知识库条目 %s 已被他人修改（当前为第 %s 版，而不是第 %s 版），请重新打开后再编辑'),
  CALLBACK_NOT_FOUND: coded('HOTLINE_ERR_CALLBACK_NOT_FOUND', 'No callback %s', 404, '回拨不存在：%s'),
  CALLBACK_CLOSED: coded('HOTLINE_ERR_CALLBACK_CLOSED', 'Callback %s has already ended (%s)', 409),
  FOLLOW_UP_NOT_FOUND: coded('HOTLINE_ERR_FOLLOW_UP_NOT_FOUND', 'No follow-up %s', 404, '回访不存在：%s'),
  FOLLOW_UP_CLOSED: coded('HOTLINE_ERR_FOLLOW_UP_CLOSED', 'Follow-up %s is already closed (%s)', 409, '回访 %s 已结束（%s）'),
  FOLLOW_UP_CALLBACK_OPEN: coded('HOTLINE_ERR_FOLLOW_UP_CALLBACK_OPEN', 'Follow-up %s already has a callback waiting to be made (%s)', 409, '回访 %s 已有尚未完成的回拨（%s）'),
  NOT_INSPECTABLE: coded('HOTLINE_ERR_NOT_INSPECTABLE', 'Ticket %s has no agent whose work could be inspected', 409, '工单 %s 没有接听坐席，无法质检'),
  INSPECTION_SCORE: coded('HOTLINE_ERR_VALIDATION', 'body.scores.%s: must be a whole number from 0 to %s', 400, '请求内容有误：body.scores.%s 应为 0 至 %s 的整数'),
  INSPECTION_UNKNOWN_CRITERION: coded('HOTLINE_ERR_VALIDATION', 'body.scores.%s: not a criterion of this province\'s evaluation form', 400, '请求内容有误：body.scores.%s 不是本省质检评分表中的评分项'),
  INSPECTION_MISSING_CRITERIA: coded('HOTLINE_ERR_VALIDATION', 'body.scores: score every criterion (missing: %s)', 400, '请求内容有误：body.scores 须为每个评分项打分（缺少：%s）'),
  CALL_NOT_CONNECTED: coded('HOTLINE_ERR_CALL_NOT_CONNECTED', 'Call %s is not connected to an agent', 409, '通话 %s 未与坐席接通'),
  MONITOR_UNSUPPORTED: coded('HOTLINE_ERR_MONITOR_UNSUPPORTED', 'The phone system of call %s cannot let a supervisor %s', 409),
  MONITORED_BY_OTHER: coded('HOTLINE_ERR_MONITORED_BY_OTHER', 'Call %s is already monitored by %s', 409, '通话 %s 已有其他班长（%s）在监听'),
  AGENT_NOT_SIGNED_IN: coded('HOTLINE_ERR_AGENT_NOT_SIGNED_IN', 'Agent %s is not signed in', 409, '坐席 %s 未登录'),
  NO_SEAT_PHONE: coded('HOTLINE_ERR_NO_SEAT_PHONE', 'Agent %s has no seat phone: set seatPhone first (PATCH /api/agents/:id)', 409, '坐席 %s 尚未登记接听电话号码'),
  REMOTE_SEAT_BUSY: coded('HOTLINE_ERR_REMOTE_SEAT_BUSY', 'Remote seat %s cannot do this now: %s', 409),
  NO_SEAT_PLAN: coded('HOTLINE_ERR_NO_SEAT_PLAN', 'No seat plan is saved for %s: save the day\'s plan first', 409, '%s 尚无已保存的坐席计划，请先保存当日计划'),
  NO_ROSTER: coded('HOTLINE_ERR_NO_ROSTER', 'No roster for %s: build or save one first', 409, '%s 尚无排班，请先生成或保存排班'),
  NOT_ROSTERABLE: coded('HOTLINE_ERR_NOT_ROSTERABLE', 'no agent %s takes calls here (unknown, disabled or not an agent)', 400, '坐席 %s 不存在、已停用或不是接听坐席'),
  SHIFT_OVERLAP: coded('HOTLINE_ERR_SHIFT_OVERLAP', 'agent %s already has the shift %s, which overlaps %s', 400, '坐席 %s 已有 %s 的班次，与 %s 重叠'),
  SHIFT_TOO_LONG: coded('HOTLINE_ERR_SHIFT_TOO_LONG', 'agent %s would be on duty %s hours that day, more than the %s allowed (settings.rosters.maxHoursPerDay)', 400, '坐席 %s 当日排班将达 %s 小时，超过上限 %s 小时（settings.rosters.maxHoursPerDay）'),
  RATE_LIMITED: coded('HOTLINE_ERR_RATE_LIMITED', 'Too many requests; try again in %s', 429),
  NOT_READY: coded('HOTLINE_ERR_NOT_READY', 'The service is not ready: %s', 503),
  UNAVAILABLE: coded('HOTLINE_ERR_UNAVAILABLE', '%s', 503),
  INTERNAL: coded('HOTLINE_ERR_INTERNAL', 'Internal server error', 500),
} as const;

export const ERROR_MESSAGES_ZH: Record<string, string> = {
  HOTLINE_ERR_VALIDATION: '请求内容有误',
  HOTLINE_ERR_INVALID_CREDENTIALS: '用户名或密码错误',
  HOTLINE_ERR_UNAUTHENTICATED: '请先登录',
  HOTLINE_ERR_FORBIDDEN_ROLE: '当前角色无权执行此操作',
  HOTLINE_ERR_OUT_OF_SCOPE: '该地区不在您的管辖范围内',
  HOTLINE_ERR_NOT_FOUND: '页面或接口不存在',
  HOTLINE_ERR_AGENT_NOT_FOUND: '坐席不存在',
  HOTLINE_ERR_REGION_NOT_FOUND: '地区不存在',
  HOTLINE_ERR_NO_BOUNDARIES: '本省没有县级边界数据',
  HOTLINE_ERR_UNKNOWN_REGION: '该地区不属于本省',
  HOTLINE_ERR_USERNAME_TAKEN: '用户名已被使用',
  HOTLINE_ERR_SIM_OFF: '未启用来电模拟器',
  HOTLINE_ERR_SIM_CALL_NOT_FOUND: '模拟来电不存在',
  HOTLINE_ERR_SIM_CALL_ENDED: '模拟来电已结束',
  HOTLINE_ERR_SIM_NO_LEG: '模拟来电没有已接通的第二路通话',
  HOTLINE_ERR_TWILIO_SIGNATURE: '请求签名无效，不是来自 Twilio 的请求',
  HOTLINE_ERR_TWILIO_CALL_NOT_FOUND: '找不到该 Twilio 通话',
  HOTLINE_ERR_TWILIO_NOT_CONFIGURED: '未配置 Twilio 网页软电话',
  HOTLINE_ERR_TICKET_NOT_FOUND: '工单不存在',
  HOTLINE_ERR_NOT_YOUR_TICKET: '这是其他坐席的工单',
  HOTLINE_ERR_REFERRAL_NOT_FOUND: '转介不存在',
  HOTLINE_ERR_NOT_YOUR_REFERRAL: '该转介属于其他机构',
  HOTLINE_ERR_REFERRAL_TRANSITION: '转介当前状态不允许此操作',
  HOTLINE_ERR_NO_SEAT_PHONE: '该坐席尚未登记接听电话号码',
  HOTLINE_ERR_REMOTE_SEAT_BUSY: '远程坐席当前无法执行此操作',
  HOTLINE_ERR_NO_ORGANISATION: '该地区及上级地区均无可接收的机构',
  HOTLINE_ERR_ORGANISATION_NOT_FOUND: '机构不存在',
  HOTLINE_ERR_KNOWLEDGE_ARTICLE_NOT_FOUND: '知识库条目不存在',
  HOTLINE_ERR_KNOWLEDGE_ARTICLE_RETIRED: '该知识库条目已停用',
  HOTLINE_ERR_KNOWLEDGE_VERSION_CONFLICT: '该知识库条目已被他人修改，请重新打开后再编辑',
  HOTLINE_ERR_CALLBACK_NOT_FOUND: '回拨不存在',
  HOTLINE_ERR_CALLBACK_CLOSED: '该回拨已结束，无法取消',
  HOTLINE_ERR_FOLLOW_UP_NOT_FOUND: '回访不存在',
  HOTLINE_ERR_FOLLOW_UP_CLOSED: '该回访已结束',
  HOTLINE_ERR_FOLLOW_UP_CALLBACK_OPEN: '该回访已有尚未完成的回拨',
  HOTLINE_ERR_NOT_INSPECTABLE: '该工单无法质检',
  HOTLINE_ERR_CALL_NOT_CONNECTED: '该通话未与坐席接通',
  HOTLINE_ERR_MONITOR_UNSUPPORTED: '当前电话系统不支持该监听方式',
  HOTLINE_ERR_MONITORED_BY_OTHER: '该通话已有其他班长在监听',
  HOTLINE_ERR_AGENT_NOT_SIGNED_IN: '该坐席未登录',
  HOTLINE_ERR_NO_SEAT_PLAN: '当日尚无已保存的坐席计划',
  HOTLINE_ERR_NO_ROSTER: '当日尚无排班',
  HOTLINE_ERR_NOT_ROSTERABLE: '该坐席不能排班',
  HOTLINE_ERR_SHIFT_OVERLAP: '班次时间重叠',
  HOTLINE_ERR_SHIFT_TOO_LONG: '排班时长超过每日上限',
  HOTLINE_ERR_RATE_LIMITED: '请求过于频繁，请稍后再试',
  HOTLINE_ERR_NOT_READY: '服务暂不可用',
  HOTLINE_ERR_UNAVAILABLE: '系统依赖的服务暂时不可用，请稍后重试',
  HOTLINE_ERR_INTERNAL: '系统内部错误',
  HOTLINE_ERR_BODY_TOO_LARGE: '请求内容过大',
};

/**
 * A domain error about one field of the request: its English and Chinese texts both start with
 * the field, as a refusal by a route's schema does ("body.shifts.2.start: …").
 */
export function atField<E extends DomainError>(field: string, error: E): E {
  error.message = `${field}: ${error.message}`;
  error.messageZh = `${field}：${error.messageZh ?? ERROR_MESSAGES_ZH[error.code] ?? ''}`;
  return error;
}
