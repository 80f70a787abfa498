import createError from '@fastify/error';

/**
 * Every domain error is a constant with a code, an HTTP status and an English message template;
 * ERROR_MESSAGES_ZH gives the Chinese text pages show. The error handler maps them to HTTP once.
 */
export const Errors = {
  VALIDATION: createError('HOTLINE_ERR_VALIDATION', '%s', 400),
  INVALID_CREDENTIALS: createError('HOTLINE_ERR_INVALID_CREDENTIALS', 'Wrong username or password', 401),
  UNAUTHENTICATED: createError('HOTLINE_ERR_UNAUTHENTICATED', 'Sign in first: %s', 401),
  FORBIDDEN_ROLE: createError('HOTLINE_ERR_FORBIDDEN_ROLE', 'The %s role may not do this', 403),
  OUT_OF_SCOPE: createError('HOTLINE_ERR_OUT_OF_SCOPE', 'Region %s is outside your area (%s)', 403),
  NOT_FOUND: createError('HOTLINE_ERR_NOT_FOUND', 'No route %s %s', 404),
  AGENT_NOT_FOUND: createError('HOTLINE_ERR_AGENT_NOT_FOUND', 'No agent with id %s', 404),
  REGION_NOT_FOUND: createError('HOTLINE_ERR_REGION_NOT_FOUND', 'No region with code %s', 404),
  UNKNOWN_REGION: createError('HOTLINE_ERR_UNKNOWN_REGION', '%s: region %s is not in this province', 400),
  USERNAME_TAKEN: createError('HOTLINE_ERR_USERNAME_TAKEN', 'The username %s is already taken', 409),
  SIM_OFF: createError('HOTLINE_ERR_SIM_OFF', 'The call simulator is not running here (TELEPHONY does not include sim)', 404),
  SIM_CALL_NOT_FOUND: createError('HOTLINE_ERR_SIM_CALL_NOT_FOUND', 'No simulated call with id %s on this node', 404),
  SIM_CALL_ENDED: createError('HOTLINE_ERR_SIM_CALL_ENDED', 'Simulated call %s has already ended', 409),
  TWILIO_SIGNATURE: createError('HOTLINE_ERR_TWILIO_SIGNATURE', 'Not a request from Twilio: %s', 403),
  TWILIO_CALL_NOT_FOUND: createError('HOTLINE_ERR_TWILIO_CALL_NOT_FOUND', 'No Twilio call %s is known here', 404),
  TWILIO_NOT_CONFIGURED: createError('HOTLINE_ERR_TWILIO_NOT_CONFIGURED', 'The Twilio softphone is not set up on this service: %s', 503),
  RATE_LIMITED: createError('HOTLINE_ERR_RATE_LIMITED', 'Too many requests; try again in %s', 429),
  NOT_READY: createError('HOTLINE_ERR_NOT_READY', 'The service is not ready: %s', 503),
  INTERNAL: createError('HOTLINE_ERR_INTERNAL', 'Internal server error', 500),
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
  HOTLINE_ERR_UNKNOWN_REGION: '该地区不属于本省',
  HOTLINE_ERR_USERNAME_TAKEN: '用户名已被使用',
  HOTLINE_ERR_SIM_OFF: '未启用来电模拟器',
  HOTLINE_ERR_SIM_CALL_NOT_FOUND: '模拟来电不存在',
  HOTLINE_ERR_SIM_CALL_ENDED: '模拟来电已结束',
  HOTLINE_ERR_TWILIO_SIGNATURE: '请求签名无效，不是来自 Twilio 的请求',
  HOTLINE_ERR_TWILIO_CALL_NOT_FOUND: '找不到该 Twilio 通话',
  HOTLINE_ERR_TWILIO_NOT_CONFIGURED: '未配置 Twilio 网页软电话',
  HOTLINE_ERR_RATE_LIMITED: '请求过于频繁，请稍后再试',
  HOTLINE_ERR_NOT_READY: '服务暂不可用',
  HOTLINE_ERR_INTERNAL: '系统内部错误',
};
