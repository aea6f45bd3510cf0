"""Minimax polynomial fitting (Remez exchange) in mpmath, for the coefficients of src/cpu/math_*.

fit(g, a, b, degree, weight) returns the coefficients c[0..degree] of the polynomial
sum c[j] t**j that minimises max |weight(t) * (g(t) - p(t))| over [a, b], and that maximum.
"""

import mpmath as mp

mp.mp.dps = 50


def _solve(g, weight, ref, degree, fixed):
    n = len(ref)
    free = [j for j in range(degree + 1) if j not in fixed]
    rows, rhs = [], []
    for i, t in enumerate(ref):
        row = [t**j for j in free]
        row.append((-1) ** i / weight(t))
        rows.append(row)
        rhs.append(g(t) - sum(v * t**j for j, v in fixed.items()))
    sol = mp.lu_solve(mp.matrix(rows), mp.matrix(rhs))
    coeffs = [mp.mpf(0)] * (degree + 1)
    for j, v in fixed.items():
        coeffs[j] = mp.mpf(v)
    for k, j in enumerate(free):
        coeffs[j] = sol[k]
    return coeffs, sol[n - 1]


def evaluate(coeffs, t):
    r = mp.mpf(0)
    for c in reversed(coeffs):
        r = r * t + c
    return r


def _extrema(err, a, b, count):
    ts = [a + (b - a) * (1 - mp.cos(mp.pi * i / (count - 1))) / 2 for i in range(count)]
    es = [err(t) for t in ts]
    idx = [0]
    for i in range(1, count - 1):
        if (es[i] >= es[i - 1] and es[i] >= es[i + 1]) or (es[i] <= es[i - 1] and es[i] <= es[i + 1]):
            idx.append(i)
    idx.append(count - 1)
    pts = []
    for i in idx:
        t, e = ts[i], es[i]
        if 0 < i < count - 1:  # refine by golden-section search on |err|
            lo, hi = ts[i - 1], ts[i + 1]
            f = lambda u: -abs(err(u))  # noqa: E731
            for _ in range(30):
                m1 = lo + (hi - lo) * mp.mpf(0.382)
                m2 = lo + (hi - lo) * mp.mpf(0.618)
                if f(m1) < f(m2):
                    hi = m2
                else:
                    lo = m1
            t = (lo + hi) / 2
            e = err(t)
        pts.append((t, e))
    return pts


def fit(g, a, b, degree, weight=lambda t: 1, fixed=None, iterations=30, grid=None, verbose=False):
    """Minimax fit; `fixed` maps powers to fixed coefficient values."""
    fixed = dict(fixed or {})
    a, b = mp.mpf(a), mp.mpf(b)
    nref = degree + 2 - len(fixed)
    ref = [a + (b - a) * (1 - mp.cos(mp.pi * i / (nref - 1))) / 2 for i in range(nref)]
    grid = grid or max(400, 40 * nref)
    best = None
    for _ in range(iterations):
        coeffs, level = _solve(g, weight, ref, degree, fixed)
        err = lambda t: weight(t) * (g(t) - evaluate(coeffs, t))  # noqa: E731
        pts = _extrema(err, a, b, grid)
        # Alternating signs: keep the largest of each run of equal signs.
        alt = []
        for t, e in pts:
            if alt and mp.sign(alt[-1][1]) == mp.sign(e):
                if abs(e) > abs(alt[-1][1]):
                    alt[-1] = (t, e)
            else:
                alt.append((t, e))
        while len(alt) > nref:
            if abs(alt[0][1]) < abs(alt[-1][1]):
                alt.pop(0)
            else:
                alt.pop()
        emax = max(abs(e) for _, e in pts)
        if verbose:
            print(f"  level {mp.nstr(abs(level), 5)} max {mp.nstr(emax, 5)}")
        if best is None or emax < best[1]:
            best = (coeffs, emax)
        if len(alt) < nref:
            break
        ref = [t for t, _ in alt]
        if emax <= abs(level) * (1 + mp.mpf("1e-4")):
            break
    return best


def max_error(g, coeffs, a, b, weight=lambda t: 1, samples=2000):
    m = mp.mpf(0)
    for i in range(samples + 1):
        t = mp.mpf(a) + (mp.mpf(b) - a) * i / samples
        m = max(m, abs(weight(t) * (g(t) - evaluate(coeffs, t))))
    return m
