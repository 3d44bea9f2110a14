"""The compiled (numba) functions of benchmarks/compiled_bound.py, in a module of their own so that
numba can cache them between runs (functions defined inside a function are compiled again in every
process). Imported only by the process that checks: it needs numba."""

import numpy as np
from numba import njit, prange

# what check() tests in a cell of each column
K_TEXT, K_ENUM, K_NUM, K_DATE, K_ID, K_QUOTE = range(6)
# the indices of the figures `unit` options the row rules name (compiled_bound.OPTIONS checks them):
# the currencies come first, 0 to LAST_CURRENCY
LAST_CURRENCY = 31
U_GW, U_MW, U_PERCENT, U_SHARES, U_YEARS, U_CHIPS, U_USD_PER_GW = range(32, 39)
# the indices of the figures `measure` options (compiled_bound.OPTIONS checks them)
(M_AMOUNT, M_POWER, M_EQUITY_STAKE, M_SHARES, M_DURATION, M_REVENUE, M_NET_LOSS, M_VALUATION, M_UNIT_COST, M_CHIP_COUNT,
 M_COMMITMENTS_TOTAL, M_BACKLOG) = range(12)


@njit(cache=True, inline="always")
def fnv(buf, a, b):
    h = np.uint64(14695981039346656037)
    for i in range(a, b):
        h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
    if h == 0:  # 0 marks an empty cell and an empty slot
        h = np.uint64(1)
    return h

@njit(cache=True)
def day_ok(buf, a, b):
    if b - a != 10 or buf[a + 4] != 45 or buf[a + 7] != 45:
        return False
    for j in (0, 1, 2, 3, 5, 6, 8, 9):
        if buf[a + j] < 48 or buf[a + j] > 57:
            return False
    y = (buf[a] - 48) * 1000 + (buf[a + 1] - 48) * 100 + (buf[a + 2] - 48) * 10 + (buf[a + 3] - 48)
    m = (buf[a + 5] - 48) * 10 + (buf[a + 6] - 48)
    d = (buf[a + 8] - 48) * 10 + (buf[a + 9] - 48)
    if m < 1 or m > 12 or d < 1:
        return False
    days = 31
    if m == 4 or m == 6 or m == 9 or m == 11:
        days = 30
    elif m == 2:
        days = 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return d <= days

@njit(cache=True)
def number(buf, a, b):
    """The value of [0-9]+(.[0-9]+)?, or -1.0 for anything else."""
    v = 0.0
    i = a
    while i < b and 48 <= buf[i] <= 57:
        v = v * 10 + (buf[i] - 48)
        i += 1
    if i == a:
        return -1.0
    if i < b:
        if buf[i] != 46 or i + 1 == b:
            return -1.0
        i += 1
        s = 0.1
        while i < b and 48 <= buf[i] <= 57:
            v += (buf[i] - 48) * s
            s *= 0.1
            i += 1
        if i != b:
            return -1.0
    return v

@njit(cache=True)
def option(buf, a, b, col, offsets, options, counts):
    """Which enum option of column COL the cell is, or -1."""
    for k in range(counts[col]):
        s = offsets[col, k]
        e = offsets[col, k + 1]
        if e - s == b - a:
            same = True
            for j in range(b - a):
                if options[s + j] != buf[a + j]:
                    same = False
                    break
            if same:
                return k
    return -1

@njit(cache=True)
def same_bytes(buf, a, b, c, d):
    if b - a != d - c:
        return False
    for j in range(b - a):
        if buf[a + j] != buf[c + j]:
            return False
    return True

@njit(cache=True, nogil=True)
def check(buf, start, end, kinds, required, offsets, options, counts, keycols, hashes, row0):
    """Quick-test the rows of buf[start:end]; write their key hashes from row ROW0 on."""
    nf = len(kinds)
    fs = np.zeros(nf, dtype=np.int64)
    fe = np.zeros(nf, dtype=np.int64)
    fq = np.zeros(nf, dtype=np.bool_)
    i = start
    row = row0
    failed = 0
    while i < end:
        f = 0
        fs[0] = i
        bad = False
        quoted = False
        inq = False
        while i < end:
            c = buf[i]
            if c > 127 or c == 13:
                bad = True
            if inq:
                if c == 34:
                    if i + 1 < end and buf[i + 1] == 34:
                        i += 1
                    else:
                        inq = False
            elif c == 44:
                if f < nf:
                    fe[f] = i
                    fq[f] = quoted
                f += 1
                if f < nf:
                    fs[f] = i + 1
                quoted = False
            elif c == 10:
                break
            elif c == 34:
                inq = True
                if i != fs[min(f, nf - 1)]:
                    bad = True  # a quote inside an unquoted field
                quoted = True
            i += 1
        if f < nf:
            fe[f] = i
            fq[f] = quoted
        i += 1
        if f != nf - 1:
            bad = True
            for k in range(len(keycols)):
                hashes[k, row - row0] = np.uint64(0)
            failed += 1
            row += 1
            continue
        for col in range(nf):
            a = fs[col]
            b = fe[col]
            if fq[col]:
                if b - a < 2 or buf[b - 1] != 34:
                    bad = True
                    continue
                a += 1
                b -= 1
                fs[col] = a
                fe[col] = b
            if a == b:
                if required[col]:
                    bad = True
                continue
            k = kinds[col]
            c0 = buf[a]
            if k == K_ENUM:
                if option(buf, a, b, col, offsets, options, counts) < 0:
                    bad = True
            elif k == K_NUM:
                if number(buf, a, b) < 0:
                    bad = True
            elif k == K_DATE:
                if not day_ok(buf, a, b):
                    bad = True
            elif k == K_ID:
                if b - a > 128 or c0 == 45:
                    bad = True
                for j in range(a, b):
                    c = buf[j]
                    if not ((97 <= c <= 122) or (48 <= c <= 57) or c == 45):
                        bad = True
                        break
            else:
                if c0 == 61 or c0 == 43 or c0 == 45 or c0 == 64 or c0 == 9 or c0 == 13:
                    bad = True
                if k == K_QUOTE and b - a > 300:
                    bad = True
        # the row rules, with the columns in COLUMNS' order
        value = number(buf, fs[7], fe[7])
        high = number(buf, fs[8], fe[8]) if fe[8] > fs[8] else -2.0
        measure = option(buf, fs[6], fe[6], 6, offsets, options, counts)
        unit = option(buf, fs[9], fe[9], 9, offsets, options, counts)
        qualifier = option(buf, fs[10], fe[10], 10, offsets, options, counts)
        if (qualifier == 5) != (high != -2.0):  # range_has_high_value, high_value_only_for_ranges
            bad = True
        if high >= 0 and high < value:  # range_high_not_below_low
            bad = True
        if unit == U_PERCENT and (value > 100 or high > 100):  # percent_at_most_100, ..._high_...
            bad = True
        if (measure == M_AMOUNT or measure == M_REVENUE or measure == M_NET_LOSS or measure == M_VALUATION
                or measure == M_COMMITMENTS_TOTAL or measure == M_BACKLOG):
            bad = bad or unit < 0 or unit > LAST_CURRENCY  # unit_fits_measure: USD or another currency
        elif measure == M_POWER:
            bad = bad or (unit != U_GW and unit != U_MW)
        elif measure == M_EQUITY_STAKE:
            bad = bad or unit != U_PERCENT
        elif measure == M_SHARES:
            bad = bad or unit != U_SHARES
        elif measure == M_DURATION:
            bad = bad or unit != U_YEARS
        elif measure == M_CHIP_COUNT:
            bad = bad or unit != U_CHIPS
        elif measure == M_UNIT_COST:
            bad = bad or unit != U_USD_PER_GW
        if fe[3] > fs[3] and same_bytes(buf, fs[3], fe[3], fs[4], fe[4]):  # flow_parties_differ
            bad = True
        if fe[1] == fs[1] and fe[2] == fs[2]:  # figure_has_deal_or_party
            bad = True
        if fe[12] > fs[12] and fe[13] > fs[13]:  # period_in_order (ISO days compare as text)
            for j in range(10):
                x = buf[fs[13] + j]
                y = buf[fs[12] + j]
                if x != y:
                    bad = bad or x < y
                    break
        if bad:
            failed += 1
        for k in range(len(keycols)):
            col = keycols[k]
            hashes[k, row - row0] = fnv(buf, fs[col], fe[col]) if fe[col] > fs[col] else np.uint64(0)
        row += 1
    return failed

@njit(cache=True)
def rows_and_quotes(buf, start, end):
    """Rows (line ends outside quotes) in buf[start:end], and whether it ends inside quotes."""
    n = 0
    inq = False
    for i in range(start, end):
        c = buf[i]
        if c == 34:
            inq = not inq
        elif c == 10 and not inq:
            n += 1
    return n, inq

@njit(parallel=True, cache=True)
def check_block(buf, bounds, firsts, kinds, required, offsets, options, counts, keycols, hashes):
    failed = np.zeros(len(bounds) - 1, dtype=np.int64)
    for t in prange(len(bounds) - 1):
        failed[t] = check(buf, bounds[t], bounds[t + 1], kinds, required, offsets, options, counts,
                          keycols, hashes[:, firsts[t]:firsts[t + 1]], firsts[t])
    return failed.sum()

@njit(cache=True)
def insert(table, hashes):
    """Add hashes to the set; return how many were in it already."""
    mask = np.uint64(len(table) - 1)
    seen = 0
    for x in hashes:
        if x == 0:
            continue
        j = x & mask
        while True:
            y = table[j]
            if y == 0:
                table[j] = x
                break
            if y == x:
                seen += 1
                break
            j = (j + np.uint64(1)) & mask
    return seen

@njit(parallel=True, cache=True)
def missing(table, hashes):
    """How many non-empty hashes are not in the set."""
    mask = np.uint64(len(table) - 1)
    miss = 0
    for i in prange(len(hashes)):
        x = hashes[i]
        if x == 0:
            continue
        j = x & mask
        while True:
            y = table[j]
            if y == x:
                break
            if y == 0:
                miss += 1
                break
            j = (j + np.uint64(1)) & mask
    return miss

@njit(cache=True)
def first_cells(buf):
    """Hashes of the first cell of each line after the header (ids: no quotes, no commas)."""
    n = 0
    for c in buf:
        if c == 10:
            n += 1
    out = np.zeros(n, dtype=np.uint64)
    i = 0
    while buf[i] != 10:
        i += 1
    i += 1
    k = 0
    while i < len(buf) and k < n:
        a = i
        while buf[i] != 44 and buf[i] != 10:
            i += 1
        out[k] = fnv(buf, a, i)
        k += 1
        while buf[i] != 10:
            i += 1
        i += 1
    return out[:k]


@njit(parallel=True, cache=True)
def rows_and_quotes_of(buf, bounds):
    """rows_and_quotes of each part buf[bounds[t]:bounds[t + 1]], the parts on their own threads."""
    n = len(bounds) - 1
    rows = np.zeros(n, dtype=np.int64)
    inside = np.zeros(n, dtype=np.bool_)
    for t in prange(n):
        rows[t], inside[t] = rows_and_quotes(buf, bounds[t], bounds[t + 1])
    return rows, inside
