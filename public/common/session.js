// @ts-check
/**
 * Signing in: POST /api/auth/login, the token kept in sessionStorage for reloads; the server also
 * keeps the sign-in in an httpOnly cookie, so a tab closed and opened again gets a token back
 * (POST /api/auth/refresh) without the form until the working day's sign-in ends or the user
 * signs out (POST /api/auth/logout). The sign-in form (#username, #password, #login,
 * #login-error, #login-notice) both pages share.
 */

import { $ } from './dom.js';

/**
 * @typedef {import('./i18n.js').Text} Text
 * @typedef {'agent' | 'supervisor' | 'admin' | 'organisation'} Role
 * @typedef {{ id: string, username: string, displayName: string, role: Role, servingRegion: string }} SessionUser the signed-in user (the API's Agent profile; the pages read these fields)
 * @typedef {{ token: string, user: SessionUser, error?: undefined } | { token?: undefined, user?: undefined, error: Text }} SignInResult
 * @typedef {{ loginBusy: boolean, loginError: Text | null, loginNotice: Text | null }} LoginState the page state the sign-in form shows
 */

/**
 * @param {string} key
 * @returns {string | null}
 */
export function readSession(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/**
 * @param {string} key
 * @param {string | null | undefined} value null or undefined removes the key
 */
export function writeSession(key, value) {
  try {
    if (value == null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage blocked: the page still works, only a reload asks to sign in again.
  }
}

/**
 * A token from the sign-in this browser keeps (the httpOnly cookie); null when there is none.
 * @returns {Promise<{ token: string, user: SessionUser } | null>}
 */
export async function resumeSession() {
  try {
    const res = await fetch('/api/auth/refresh', { method: 'POST', headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    const body = await res.json().catch(() => null);
    return res.ok && body?.token ? { token: body.token, user: body.user } : null;
  } catch {
    return null;
  }
}

/**
 * Forgets the sign-in this browser keeps (signing out).
 * @returns {Promise<void>}
 */
export async function endSession() {
  try {
    await fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin' });
  } catch {
    // Offline: the cookie ends with the working day anyway.
  }
}

/**
 * POST /api/auth/login. Returns { token, user } or { error }, the error a Text: { key } for the
 * page's own strings, { zh, en } for the server's message.
 * @param {string} username
 * @param {string} password
 * @returns {Promise<SignInResult>}
 */
export async function signIn(username, password) {
  let res;
  try {
    res = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch {
    return { error: { key: 'login.network' } };
  }
  const body = await res.json().catch(() => null);
  if (res.ok && body?.token) return { token: body.token, user: body.user };
  if (body && (body.message || body.messageZh)) return { error: { zh: body.messageZh || body.message, en: body.message || body.messageZh } };
  return { error: { key: 'login.failed' } };
}

/**
 * The sign-in form's submit: reads and checks the fields, signs in, and hands the token to
 * start(token). refuse(user), when given, may turn a valid sign-in down with a Text.
 * Keeps state.loginBusy, state.loginError and state.loginNotice; render() shows them.
 * @param {LoginState} state
 * @param {{ render: () => void, start: (token: string) => void, refuse?: (user: SessionUser) => Text | null }} hooks
 * @returns {Promise<void>}
 */
export async function submitLogin(state, { render, start, refuse = () => null }) {
  if (state.loginBusy) return;
  const username = $('username').value.trim();
  const password = $('password').value;
  if (!username || !password) {
    state.loginError = { key: 'login.failed' };
    render();
    return;
  }
  state.loginBusy = true;
  state.loginError = null;
  state.loginNotice = null;
  render();
  const res = await signIn(username, password);
  state.loginBusy = false;
  if (res.token) {
    const refusal = refuse(res.user);
    if (!refusal) {
      $('password').value = '';
      start(res.token);
      return;
    }
    state.loginError = refusal;
  } else {
    // signIn gives a token only when it is not empty, so without one there is an error.
    state.loginError = /** @type {Text} */ (res.error);
  }
  render();
  $('password').focus();
}

/**
 * Shows state.loginBusy, state.loginError and state.loginNotice on the sign-in form.
 * @param {LoginState} state
 * @param {{ t: (key: string) => string, textOf: (text: Text | null) => string }} helpers
 */
export function renderLoginForm(state, { t, textOf }) {
  $('login').disabled = state.loginBusy;
  $('login').textContent = t(state.loginBusy ? 'login.busy' : 'login.submit');
  const error = $('login-error');
  error.textContent = textOf(state.loginError);
  error.hidden = !state.loginError;
  const notice = $('login-notice');
  notice.textContent = textOf(state.loginNotice);
  notice.hidden = !state.loginNotice;
}
