"""Read the numbers a quote states, in the languages of the package's sources.

A figure's `quote` is copied from its page; the test that uses this module checks that the quote
states the figure's value. The reader is deliberately generous (it returns every reading of a
number: "1,234" as 1234 and as 1.234) because it only has to show that the value is among them;
what it must not do is miss a number a quote plainly states.
"""

from __future__ import annotations

import re
import unicodedata

# Scale words after a number, lowercase; the longest match at a position wins.
SCALES: dict[str, float] = {}
for _words, _factor in (
    ("thousand k mille tausend tisíc tisíce tysięcy tys 千 천 тыс ribu rb", 1e3),
    ("万 萬 만", 1e4),
    ("lakh lakhs", 1e5),
    ("million millions mn mln mio m mm mill millones millón milioni milione milhões milhão millionen "
     "miljoner millioner miljoen miljon milion milionů milionów millió milyon milioane triệu 百万 百萬 백만 млн juta मिलियन", 1e6),
    ("crore crores cr करोड़ 千万 千萬", 1e7),
    ("亿 億 억", 1e8),
    ("billion billions bn b bln milliard milliards mrd md mds miliardi miliardo milliarden milliarde "
     "miljarder milliarder miljard miliard miliardy miliardů miliardów milliárd miliarde milyar tỷ mld млрд bilhões bilhão bi bil miliar مليار", 1e9),
    ("trillion trillions tn billones billón billionen trilhões trilhão triliun trilyon 兆 조 трлн", 1e12),
):
    for _w in _words.split():
        SCALES[_w] = _factor
SCALES["mil millones"] = SCALES["mil milhões"] = 1e9

# Numbers written as words in the quotes; each may carry a scale word ("half a billion").
WORDS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "hundred": 100, "half": 0.5, "un": 1, "une": 1, "deux": 2, "trois": 3, "cinq": 5, "sept": 7,
    "dix": 10, "quinze": 15, "vingt": 20, "trente": 30, "mezzo": 0.5, "einer": 1, "eine": 1,
    "zehn": 10, "dos": 2, "dois": 2, "tres": 3, "cinco": 5, "diez": 10, "dez": 10, "fem": 5,
    "femårig": 5, "first": 1, "четыре": 4, "một": 1, "عشر": 10, "لعشر": 10, "tři": 3, "čtyři": 4,
}

# Words that are a number only before a scale or a unit ("a billion", "a gigawatt", "một gigawatt").
ARTICLES = frozenset({"a", "an", "un", "une", "einer", "eine", "một", "first"})
UNIT_WORDS = frozenset({"gigawatt", "gigawatts", "gw", "year", "years"})

_NUMBER = re.compile(r"\d+(?:[.,\u202f\u00a0' ]\d+)*")
_GAP = re.compile(r"[\s\u202f\u00a0]*-?[\s\u202f\u00a0]*")
_RANGE = re.compile(
    r"[\s\u202f\u00a0]*(?:-|–|—|~|～|(?:and|bis|to|et|à|a|e|y|až)(?![^\W\d_]))[\s\u202f\u00a0]*[$€£¥]?", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CJK_PAIRS = (("조", "억"), ("억", "만"), ("亿", "万"), ("億", "万"), ("兆", "億"), ("万", ""), ("만", ""), ("萬", ""))


def readings(token: str) -> set[float]:
    """Every value a run of digits and separators can be read as ("1,234.5", "1.234,5", "1 234").

    A thousands separator is read as one only before groups of three digits (or the Indian
    "1,00,000"), so "1.5" is 1.5 and never 15.
    """
    out: set[float] = set()
    compact = re.sub(r"[\u202f\u00a0' ]", "", token)
    for decimal, thousands in ((".", ","), (",", ".")):
        whole, _, fraction = compact.partition(decimal)
        if decimal in fraction or thousands in fraction:
            continue
        groups = whole.split(thousands)
        if len(groups) > 1 and not (
            all(len(g) == 3 for g in groups[1:]) or (all(len(g) == 2 for g in groups[1:-1]) and len(groups[-1]) == 3)
        ):
            continue
        out.add(float("".join(groups) + ("." + fraction if fraction else "")))
    for piece in re.split(r"[\u202f\u00a0' ]+", token):  # "B200 7656": two numbers, not one
        if piece and piece != token:
            out |= readings(piece)
    return out


def _scale_at(text: str, pos: int) -> float | None:
    """The factor of a scale word starting at POS (after an optional space or hyphen), if any."""
    gap = _GAP.match(text, pos)
    start = gap.end() if gap else pos
    rest = text[start:start + 16].lower()
    best = None
    for word, factor in SCALES.items():
        if rest.startswith(word):
            after = rest[len(word):len(word) + 1]
            # an ASCII word must end there ("m" is not "months"); CJK and other scripts run on
            if word.isascii() and after.isalpha():
                continue
            if best is None or len(word) > len(best[0]):
                best = (word, factor)
    return best[1] if best else None


def numbers_in(text: str) -> set[float]:
    """Every number TEXT can be read to state, scale words applied."""
    text = unicodedata.normalize("NFC", text)
    found: list[tuple[int, int, set[float], float | None]] = []
    for m in _NUMBER.finditer(text):
        found.append((m.start(), m.end(), readings(m.group()), _scale_at(text, m.end())))
    out: set[float] = set()
    for i, (_start, end, values, scale) in enumerate(found):
        factors = {1.0} | ({scale} if scale else set())
        # "50 à 60 milliards", "500–600 miljoner", "4-5萬": the first number takes the second's scale
        if scale is None and i + 1 < len(found):
            link = _RANGE.match(text, end)
            if link and link.end() == found[i + 1][0] and found[i + 1][3]:
                factors.add(found[i + 1][3])
        out |= {v * f for v in values for f in factors}
    for big, small in _CJK_PAIRS:  # "1조 4000억", "1만3000", "2,543.18万"
        pattern = rf"(\d[\d,.]*)\s*{big}\s*(\d[\d,]*)\s*{small}" if small else rf"(\d[\d,.]*)\s*{big}\s*(\d[\d,]*)"
        for m in re.finditer(pattern, text):
            hi, lo = float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))
            out.add(hi * SCALES[big] + lo * (SCALES[small] if small else 1))
    for m in re.finditer(r"(?:US\$|S\$|RM)\s?(\d[\d,.]*)\s?mil\b", text):  # Malaysian press: "US$619mil"
        out |= {v * 1e6 for v in readings(m.group(1))}
    for m in re.finditer(r"(\d[\d,.]*)\s*조\s*(\d)\s*천\s*억", text):  # "2조9천억": 2.9 trillion
        out.add(float(m.group(1).replace(",", "")) * 1e12 + float(m.group(2)) * 1e11)
    lower = text.lower()
    words = list(_WORD.finditer(lower))
    for i, m in enumerate(words):
        value = WORDS.get(m.group())
        if value is None:
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        if m.group() in ("a", "an", "one") and nxt and nxt.group() == "hundred":
            continue  # read with the next word: "a hundred million" is "hundred million"
        scale = _scale_at(lower, m.end())
        if scale is None and m.group() == "half" and nxt and nxt.group() in ("a", "an"):
            scale = _scale_at(lower, nxt.end())  # "half a billion"
        if scale is None and m.group() not in ARTICLES:
            # "three to four billion", "tři až čtyři miliardy": the first word takes the second's scale
            link = _RANGE.match(lower, m.end())
            second = _WORD.match(lower, link.end()) if link else None
            if second and second.group() in WORDS and second.group() not in ARTICLES:
                scale = _scale_at(lower, second.end())
            if scale:
                out.add(value)
        if scale:
            out.add(value * scale)
        elif m.group() not in ARTICLES or (nxt and nxt.group() in UNIT_WORDS):
            out.add(value)
    return out


def states(value: float, unit: str, numbers: set[float], tolerance: float = 0.006) -> bool:
    """Whether VALUE (in UNIT) is among NUMBERS, allowing MW for GW (also per MW for per GW) and
    months for years."""
    targets = [value]
    if unit in ("GW", "MW", "USD_per_GW"):
        targets += [value * 1000, value / 1000]
    if unit == "years":
        targets.append(value * 12)
    return any(abs(n - t) <= tolerance * abs(t) for t in targets for n in numbers if t)


# A capacity a site could, may, is designed or has the option to reach, or scales "up to" (README: `up_to`).
CEILING = re.compile(
    r"\b(?:(?:expandable|scalable|(?:option|potential|ability|capacity|designed|aspirations?) to (?:be )?(?:expand|scale|grow)\w*"
    r"|(?:could|may|can)(?: eventually)? (?:be expanded|expand|scale|grow|reach)\w*)(?: up)? to"
    r"|scal(?:e|es|ed|ing) up to"
    r"|design(?:ed)? capacity (?:of|is))\b",
    re.IGNORECASE,
)


# A capacity named before the words that make it a ceiling: "600 megawatts may be added", "600
# megawatts of potential capacity", "2.3GW of design capacity" (what a site is designed to reach).
CEILING_AFTER = re.compile(
    r"(\d[\d.,]*\d|\d)\s*(?:megawatts?|MW|gigawatts?|GW)\s+(?:of potential\b|(?:may|could|might) be added\b|of design(?:ed)? capacity\b)",
    re.IGNORECASE,
)


def ceilings(quote: str) -> set[float]:
    """The numbers a quote gives as what a site could reach: the number right after a phrase such as
    "expandable to", "could scale to", "scaling up to (an ultimate capacity of)", "the option to
    expand to" or "a design capacity of", or right before "may be added", "of potential capacity" or
    "of design capacity" (README: such a ceiling is `up_to`)."""
    out: set[float] = set()
    for m in CEILING_AFTER.finditer(quote):
        out |= readings(m.group(1))
    for m in CEILING.finditer(quote):
        head = re.match(r"\s*(?:use\s+|a\s+|around\s+|an? (?:(?:ultimate|eventual|maximum|total) )?capacity of\s+)?[$€£]?(\d[\d.,]*\d|\d)",
                        quote[m.end():m.end() + 40])
        if head:
            out |= readings(head.group(1))
    return out


# An English word that hedges the number right after it (README "How to read a figure"): a figure
# that states that number is not `exact`. "over" and "under" before a period are no hedge ("over
# five years"), so the years a quote hedges are read apart.
HEDGE_BEFORE = re.compile(
    r"(?:\b(?P<word>about|around|approximately|approx\.|roughly|nearly|almost|some|close to|circa|more than|over|"
    r"above|upwards of|at least|up to|as much as|as many as|in excess of|north of|just under|under|less than)|~)"
    r"\s*(?:US\$|A\$|AU\$|C\$|HK\$|S\$|R\$|\$|€|£|¥|₹|RM|Rs\.?)?\s*$",
    re.IGNORECASE,
)
PERIOD_WORDS = frozenset({"over", "under"})


def hedged(text: str, unit: str) -> tuple[set[float], set[float]]:
    """The numbers TEXT states right after an English hedge word, and those it states without one
    (scale words applied: "about $3 billion" is 3e9)."""
    text = unicodedata.normalize("NFC", text)
    with_hedge: set[float] = set()
    plain: set[float] = set()
    for m in _NUMBER.finditer(text):
        values = readings(m.group())
        scale = _scale_at(text, m.end())
        values |= {v * scale for v in values} if scale else set()
        hedge = HEDGE_BEFORE.search(text[max(0, m.start() - 25):m.start()])
        if hedge and not (unit == "years" and (hedge.group("word") or "").lower() in PERIOD_WORDS):
            with_hedge |= values
        else:
            plain |= values
    return with_hedge, plain

