/**
 * The page's REST calls. Every answer becomes { ok, status, body, unavailable, rateLimited,
 * message } so panels can tell "this endpoint is not live yet" (a 404 for the route itself,
 * HOTLINE_ERR_NOT_FOUND) from a real refusal, whose Chinese and English texts they show.
 */

export async function api(method, url, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, body: null, network: true, unavailable: false, rateLimited: false, message: null };
  }
  const data = await res.json().catch(() => null);
  const routeMissing = res.status === 404 && (!data || data.code === 'HOTLINE_ERR_NOT_FOUND');
  return {
    ok: res.ok,
    status: res.status,
    body: data,
    network: false,
    // 405 too: a path that exists for another method only (e.g. a GET-only draft of the endpoint).
    unavailable: routeMissing || res.status === 405 || res.status === 501,
    rateLimited: res.status === 429,
    message: data && (data.message || data.messageZh) ? { zh: data.messageZh || data.message, en: data.message || data.messageZh } : null,
  };
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
