/**
 * Signing in: POST /api/auth/login, the token kept in sessionStorage (so a reload keeps the
 * session and closing the tab ends it), and the sign-in form (#username, #password, #login,
 * #login-error, #login-notice) both pages share.
 */

import { $ } from './dom.js';

export function readSession(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeSession(key, value) {
  try {
    if (value == null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage blocked: the page still works, only a reload asks to sign in again.
  }
}

/**
 * POST /api/auth/login. Returns { token, user } or { error }, the error a Text: { key } for the
 * page's own strings, { zh, en } for the server's message.
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
    state.loginError = res.error;
  }
  render();
  $('password').focus();
}

/** Shows state.loginBusy, state.loginError and state.loginNotice on the sign-in form. */
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
