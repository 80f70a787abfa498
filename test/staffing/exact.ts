/**
 * Independent reference computations for the staffing tests: written from the textbook
 * definitions, sharing no code with src/staffing.
 */

/** Erlang C P(wait) by exact rational arithmetic (BigInt), for a load a = p/q Erlangs and n agents. */
export function exactErlangCWait(n: number, p: number, q = 1): number {
  // Terms A^k/k! scaled by q^n·n!: U_k = p^k·q^(n−k)·n!/k!, built downward from U_n = p^n.
  const P = BigInt(p);
  const Q = BigInt(q);
  const N = BigInt(n);
  if (P * 1n >= N * Q) return 1;
  const powP: bigint[] = [1n];
  for (let k = 1; k <= n; k++) powP.push(powP[k - 1]! * P);
  let r = 1n; // q^(n−k)·n!/k! for k = n
  let sum = 0n; // Σ_{k<n} U_k
  for (let k = n - 1; k >= 0; k--) {
    r = r * Q * BigInt(k + 1);
    sum += powP[k]! * r;
  }
  const un = powP[n]!;
  // P(wait) = U_n·n/(n − A) / (Σ_{k<n} U_k + U_n·n/(n − A)); multiply through by (n − A)·q = nq − p.
  const top = un * N * Q;
  const bottom = sum * (N * Q - P) + top;
  return ratio(top, bottom);
}

/** top/bottom as a double, for BigInts of any size. */
export function ratio(top: bigint, bottom: bigint): number {
  const bits = bottom.toString(2).length;
  const shift = BigInt(Math.max(0, bits - 1000));
  return Number(top >> shift) / Number(bottom >> shift);
}

/**
 * M/M/n+M stationary distribution, summed directly (small n and loads): p_k ∝ Π λ/death_j.
 * Returns P(wait) and P(abandon) = θ·E[queue]/λ.
 */
export function directErlangA(n: number, lambda: number, mu: number, theta: number, states = 4000) {
  const p: number[] = [1];
  for (let k = 1; k < states; k++) p.push((p[k - 1]! * lambda) / (Math.min(k, n) * mu + Math.max(0, k - n) * theta));
  const total = p.reduce((s, x) => s + x, 0);
  const pi = p.map((x) => x / total);
  const pWait = pi.slice(n).reduce((s, x) => s + x, 0);
  const queue = pi.reduce((s, x, k) => s + Math.max(0, k - n) * x, 0);
  return { pi, pWait, pAbandon: (theta * queue) / lambda };
}

/**
 * The same distribution in log space for hundreds of agents and thousands of Erlangs:
 * log weights by cumulative sums of log ratios from state 0, then log-sum-exp.
 */
export function logErlangA(n: number, a: number, r: number, states: number) {
  const logw = new Float64Array(states);
  for (let k = 1; k < states; k++) logw[k] = logw[k - 1]! + Math.log(a) - Math.log(Math.min(k, n) + Math.max(0, k - n) * r);
  let max = -Infinity;
  for (const x of logw) max = Math.max(max, x);
  let total = 0;
  for (const x of logw) total += Math.exp(x - max);
  const pi = Array.from(logw, (x) => Math.exp(x - max) / total);
  const pWait = pi.slice(n).reduce((s, x) => s + x, 0);
  const queue = pi.reduce((s, x, k) => s + Math.max(0, k - n) * x, 0);
  return { pi, pWait, pAbandon: (r * queue) / a };
}

/**
 * Service level and ASA of M/M/n+M by integrating a tagged caller's chain in time (RK4), from
 * the state they find on arrival (PASTA): with i callers ahead they move up at rate nμ + iθ,
 * are answered from the head at rate nμ, and hang up at rate θ. Returns the share of all callers
 * answered within t, the mean wait of answered callers, and the share answered at all.
 */
export function tagAnsweredWithin(pi: number[], n: number, mu: number, theta: number, t: number) {
  let K = pi.length - n;
  while (K > 1 && pi[n + K - 1]! < 1e-18) K--;
  const atOnce = pi.slice(0, n).reduce((s, x) => s + x, 0);
  const x = new Float64Array(K);
  for (let i = 0; i < K; i++) x[i] = pi[n + i]!;
  const maxRate = n * mu + K * theta + theta;
  // A step that divides t exactly, so the answered share is read at t itself.
  const dt = t / Math.max(1, Math.ceil(t / Math.min(0.5 / maxRate, 0.05)));
  const k1 = new Float64Array(K);
  const k2 = new Float64Array(K);
  const k3 = new Float64Array(K);
  const k4 = new Float64Array(K);
  const y = new Float64Array(K);
  const deriv = (from: Float64Array, out: Float64Array) => {
    for (let i = 0; i < K; i++) out[i] = -(n * mu + i * theta + theta) * from[i]! + (i + 1 < K ? (n * mu + (i + 1) * theta) * from[i + 1]! : 0);
  };
  const ahead = (d: Float64Array, h: number) => {
    for (let i = 0; i < K; i++) y[i] = x[i]! + h * d[i]!;
    return y;
  };
  let answered = 0;
  let answeredBy: number | null = null;
  let waitSum = 0;
  let step = 0;
  for (; step < 2e7; step++) {
    const time = step * dt;
    if (answeredBy === null && step * dt >= t - dt / 2) answeredBy = answered;
    if (answeredBy !== null) {
      let left = 0;
      for (let i = 0; i < K; i++) left += x[i]!;
      if (left < 1e-14) break;
    }
    deriv(x, k1);
    const x0 = x[0]!;
    const a1 = x0 + (dt / 2) * k1[0]!;
    deriv(ahead(k1, dt / 2), k2);
    const a2 = x0 + (dt / 2) * k2[0]!;
    deriv(ahead(k2, dt / 2), k3);
    const a3 = x0 + dt * k3[0]!;
    deriv(ahead(k3, dt), k4);
    // The answer rate n·μ·x_0 along the same RK4 stages.
    const r = n * mu;
    answered += (dt / 6) * r * (x0 + 2 * a1 + 2 * a2 + a3);
    waitSum += (dt / 6) * r * (time * x0 + 2 * (time + dt / 2) * (a1 + a2) + (time + dt) * a3);
    for (let i = 0; i < K; i++) x[i] = x[i]! + (dt / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
  }
  const served = atOnce + answered;
  return { serviceLevel: atOnce + (answeredBy ?? answered), asa: waitSum / served, answered: served };
}
