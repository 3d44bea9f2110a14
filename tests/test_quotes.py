"""Every figure's quote states its value: a guard against a slipped digit or scale in figures.csv.

A figure's value is read from its quote by a person; this test reads it back with
`quote_numbers.numbers_in` (digits with either decimal convention, scale words in the sources'
languages: "1.2 billion", "17,4 mil milhões", "7.5億", "1조 4000억", "855 करोड़", numbers in words)
and fails for a figure whose value or value_high its quote does not state, in the figure's unit
or, for power, in MW or GW, for durations, in months.
"""

from __future__ import annotations

import re

import pytest

from quote_numbers import ceilings, hedged, numbers_in, states

# Figures whose quote states the value in a form the reader does not follow, each with why.
NOT_READ: dict[str, str] = {
    "firmus-nvidia-southgate-2025-amount-pvmagazine": "the page writes 'USD 47.5 billon' (sic)",
    "coreweave-senior-notes-2030-amount-sec": "a filing's table in thousands of dollars",
    "fermi-pre-ipo-financing-2025-seed-notes-sec": "a filing's text in thousands of dollars",
    "fermi-pre-ipo-financing-2025-series-a-notes-sec": "a filing's text in thousands of dollars",
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("raised $1.5B in its Series C", 1.5e9),
        ("Alphabet Inc has sold US$17.5bil of bonds", 17.5e9),
        ("an initial public offering that raised US$619mil.", 619e6),
        ("chips worth half a billion dollars", 5e8),
        ("lui apportant environ 13 milliards de dollars", 13e9),
        ("um pagamento base de 17,4 mil milhões de dólares", 17.4e9),
        ("今年9月籌得7.5億美元", 7.5e8),
        ("拟发行2,543.18万股H股", 25_431_800),
        ("7조 4000억원 규모", 7.4e12),
        ("총사업비는 2조9천억 원 규모로", 2.9e12),
        ("총 1만3000장 규모의 GPU", 13_000),
        ("H200 3056장 전체를", 3056),
        ("4-5萬個MI308", 40_000),
        ("estimées à 50 à 60 milliards de dollars", 50e9),
        ("de totala kostnaderna att uppgå till 500–600 miljoner euro", 500e6),
        ("a total commitment of $34 million over a 36-month period", 36),
        ("worth more than a hundred million dollars", 1e8),
        ("Trente milliards de dollars levés.", 30e9),
        ("Proyek itu bernilai lebih dari US$200 juta", 2e8),
        ("تسهيلات ائتمانية بقيمة 2.62 مليار دولار", 2.62e9),
        ("लगभग 855 करोड़ रुपये", 8.55e9),
        ("bringing more than a gigawatt of capacity online", 1),
        ("Mit einer Milliarde Euro Investition", 1e9),
        ("US$270-million from Inovia Capital", 2.7e8),
        ("about 1 200 MW", 1200),
        ("entre 30 et 50 milliards d'euros", 30e9),
        ("roughly $31-$32 billion", 31e9),
        ("superior a US$ 300 milho\u0303es", 3e8),  # decomposed accents, as some pages store them
        ("three to four billion dollars", 3e9),  # a word range: the first word takes the second's scale
        ("investice tři až čtyři miliardy eur", 3e9),
        ("investice tři až čtyři miliardy eur", 4e9),
        ("1 milyar dolarlık yatırım", 1e9),  # Turkish
        ("450 milyon dolar", 4.5e8),
        ("khoảng 2 tỷ USD", 2e9),  # Vietnamese
        ("500 triệu USD", 5e8),
        ("捐贈新台幣3千萬元", 3e7),  # Chinese: thousands of ten-thousands
        ("投資5百萬美元", 5e6),
        ("1,5 milliárd eurós", 1.5e9),  # Hungarian
        ("investiții de 2 miliarde de euro", 2e9),  # Romanian
    ],
)
def test_numbers_in_reads_the_number_a_quote_states(text, value):
    assert value in numbers_in(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("signed a deal with the chipmaker", 1),  # an article alone is no number
        ("a 36-month period", 36e6),  # "m" of "month" is not a scale word
        ("raised $1.5B", 1.5e6),
        ("B200 7656장", 7656e4),
        ("vendeu 155 mil GPUs", 155e6),  # "mil" is a thousand here: millions only after US$, S$ or RM
        ("two and a half billion", 2e9),  # "a" is no number word to take a range's scale from
        ("five to ten years", 5e9),
    ],
)
def test_numbers_in_does_not_read_what_is_not_there(text, value):
    assert value not in numbers_in(text)


@pytest.mark.parametrize(
    ("value", "unit", "text", "expected"),
    [
        (1.2, "GW", "a 1,200 MW campus", True),
        (1.2, "GW", "a 1,500 MW campus", False),
        (3, "years", "over a 36-month period", True),
        (6e9, "USD_per_GW", "between USD 6m – USD 8m per MW", True),
        (6e9, "USD", "between USD 6m – USD 8m per MW", False),
        (3, "percent", "over a 36-month period", False),
        (13_000, "chips", "about 13,136 GPUs", False),
        (13_136, "chips", "about 13,136 GPUs", True),
    ],
)
def test_states_allows_mw_for_gw_and_months_for_years_only(value, unit, text, expected):
    assert states(value, unit, numbers_in(text)) is expected


def test_every_figure_quote_states_its_value(tables):
    unread = []
    for row in tables["figures"]:
        if row["figure_id"] in NOT_READ:
            continue
        numbers = numbers_in(row["quote"])
        for field in ("value", "value_high"):
            if row[field] and not states(float(row[field]), row["unit"], numbers):
                unread.append(f"{row['figure_id']}: {field} {row[field]} {row['unit']} not in {row['quote']!r}")
    assert unread == []


def test_every_exception_is_a_figure_the_reader_still_misses(tables):
    by_id = {row["figure_id"]: row for row in tables["figures"]}
    for figure_id in NOT_READ:
        row = by_id[figure_id]
        numbers = numbers_in(row["quote"])
        assert not all(states(float(row[f]), row["unit"], numbers) for f in ("value", "value_high") if row[f])


@pytest.mark.parametrize(
    ("quote", "ceiling"),
    [
        ("deliver 230 MW of capacity (expandable to 520 MW)", 520),
        ("with the potential to expand to 300 MW", 300),
        ("The project could eventually be expanded to use 1.6 gigawatts", 1.6),
        ("designed to scale to 10 gigawatts in all", 10),
        ("An additional 600 megawatts may be added near the Abilene site.", 600),
        ("An additional 600 megawatts of potential capacity is also planned near", 600),
        ("The iXAfrica Nairobi campus, NBOX1, features a design capacity of 22.5MW.", 22.5),
        ("with 2.3GW of design capacity across 12 major markets", 2.3),
        ("are expected to scale up to 1.5 gigawatts within 18 months", 1.5),
        ("an initial phase of 100 MW, scaling up to an ultimate capacity of 1 GW.", 1),
    ],
)
def test_ceilings_reads_the_capacity_a_site_could_reach(quote, ceiling):
    assert ceilings(quote) == {ceiling}


def test_a_capacity_a_site_could_reach_is_up_to(tables):
    """Power a quote gives as a ceiling ("expandable to", "could scale to", "scaling up to", "the
    option to expand to", "a design capacity of") is `up_to` (or the source's own hedge); a capacity
    a site will or is expected to reach is a target, stated as it is."""
    wrong = [
        row["figure_id"]
        for row in tables["figures"]
        if row["measure"] == "power"
        and row["qualifier"] == "exact"
        and states(float(row["value"]), row["unit"], ceilings(row["quote"]))
    ]
    assert wrong == []


BACKLOG_WORDS = re.compile(r"backlog|performance obligations|\bRPO\b|\bbooked\b|bookings|lease payments|contracts? (?:now )?total",
                           re.IGNORECASE)


@pytest.mark.parametrize(
    ("quote", "backlog"),
    [
        ("the revenue backlog soared to $55.6 billion", True),
        ("remaining performance obligations rose to $455 billion", True),
        ("said it booked $65 billion in new AI-infrastructure commitments", True),
        ("Cipher's AI hosting contracts now total approximately $8.5 billion in lease payments", True),
        ("OpenAI has reportedly signed more than $1.4 trillion in infrastructure agreements", False),
        ("Microsoft has now poured more than $60 billion into a swarm of neocloud infrastructure companies", False),
    ],
)
def test_backlog_words_tell_what_customers_owe_a_party(quote, backlog):
    assert bool(BACKLOG_WORDS.search(quote)) is backlog


def test_commitments_and_backlogs_are_not_mixed_up(tables):
    """`commitments_total` is what a party has committed to pay; what its customers have contracted to
    pay it (a backlog, remaining performance obligations, bookings, contracted lease payments) is
    `backlog`. `commitments_vs_revenue` reads the first: a backlog there would count a company's
    sales as its own spending. The quote, or the note when the quote gives only the number, says
    which."""
    rows = [row for row in tables["figures"] if row["measure"] in ("commitments_total", "backlog")]
    assert {row["measure"] for row in rows} == {"commitments_total", "backlog"}
    wrong = [row["figure_id"] for row in rows if (row["measure"] == "backlog") != bool(BACKLOG_WORDS.search(row["quote"] + " " + row["note"]))]
    assert wrong == []


ESTIMATE_WORDS = re.compile(
    r"estim|expect|project|forecast|analyst|implie|infer|derived|arithmetic|potential|prospective|illustrative|"
    r"target|anticipat|costing|on pace|on track|could|估|预计|預計|추정|전망|見込|試算|推計|previs|prév|schätz",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("text", "estimate"),
    [
        ("Omdia estimate for 2024", True),
        ("The Bitcoin miner projects the contract to net the company $3 billion", True),
        ("This implies a 21% stake", True),
        ("pour un coût total estimé à 554 millions d’euros", True),
        ("xAI has rapidly grown to a reported valuation of $50 billion", False),
        ("The deal, with a reported value of $3.8B", False),
    ],
)
def test_estimate_words_tell_an_estimate_from_a_reported_number(text, estimate):
    assert bool(ESTIMATE_WORDS.search(text)) is estimate


def test_an_estimate_says_what_makes_it_one(tables):
    """`estimate` is an estimate, projection, forecast or inference (schema: `qualifier`); a number
    the press reports plainly ("a reported valuation of $50 billion") is `exact`. The quote, or the
    note when the quote gives only the number, says which kind of estimate it is."""
    rows = [row for row in tables["figures"] if row["qualifier"] == "estimate"]
    assert rows, "no estimate in the data"
    assert [row["figure_id"] for row in rows if not ESTIMATE_WORDS.search(row["quote"] + " " + row["note"])] == []


# Floors written after the number in Korean and Japanese: 이상 / 以上 ("or more") is `at_least`,
# 초과 / 超 ("over") is `more_than`. Two figures had 이상 as `more_than` (found by a spot check).
FLOOR_AFTER = re.compile(r"\d\s*(?:[조억만천백兆億万千百]\s*)*(?:원|달러|장|개|대|명|円|ドル)?\s*(이상|以上)")


@pytest.mark.parametrize(
    ("quote", "floor"),
    [
        ("이번 퓨리오사AI 투자 유치에는 1500억원 이상의 자금이 모인 것으로 알려졌다.", True),
        ("총 5만 개 이상의 엔비디아 차세대 그래픽처리장치", True),
        ("1兆円以上を投じる", True),
        ("기업은행은 퓨리오사AI에 100억원을 투자한다고 14일 밝혔다.", False),
    ],
)
def test_floor_words_after_a_number_are_read(quote, floor):
    assert bool(FLOOR_AFTER.search(quote)) is floor


def test_a_floor_written_or_more_is_at_least(tables):
    """A number followed by 이상 / 以上 ("or more") is a floor that includes the number: `at_least`
    (schema: `qualifier`), not `more_than`, which is "over"."""
    wrong = [row["figure_id"] for row in tables["figures"]
             if FLOOR_AFTER.search(row["quote"]) and row["qualifier"] == "more_than"]
    assert wrong == []


# 규모 ("a size of": "2조 5000억 원 규모") says what the number measures, not that it is rough;
# an `approximately` needs a hedge word of its own (약 about, 가량/정도/안팎/내외 or so, 여 odd,
# 급 class, 수준 level, 억원대 / 조원대 in the range of). Four figures had read 규모 as a hedge (an
# eighteenth sample found one).
KO_HEDGE = re.compile(r"약|가량|정도|안팎|내외|수준|급|\d\s*여|남짓|가까이|넘|이상|최대|[억조]\s*원대")


@pytest.mark.parametrize(("quote", "hedged"), [
    ("총사업비는 약 1000억원 규모로", True),
    ("1000억원대 규모 냉각 시스템", True),
    ("4,200억 원대 인도네시아 데이터센터", True),
    ("2조 5000억 원 규모의 투자", False),
    ("원대한 계획에 따라 1000억원 규모", False),
])
def test_korean_hedge_words_are_read(quote, hedged):
    assert bool(KO_HEDGE.search(quote)) is hedged


def test_gyumo_alone_does_not_make_a_number_approximate(tables):
    wrong = [row["figure_id"] for row in tables["figures"]
             if "규모" in row["quote"] and row["qualifier"] == "approximately" and not KO_HEDGE.search(row["quote"])]
    assert wrong == []


# 급 ("-class") right after a power ("200㎿급", "1.3GW급", "200㎿(메가와트)급") hedges that power: a
# figure of that number is `approximately` (or a bound of its own), never `exact`
# (`quality/qualifier-review-2026-12-06-4.csv`). Other numbers of the same quote are not hedged by it.
KO_CLASS_POWER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(㎿|MW|메가와트|GW|기가와트)(?:\([^)]*\))?급")
KO_POWER_UNITS = {"㎿": "MW", "MW": "MW", "메가와트": "MW", "GW": "GW", "기가와트": "GW"}


def test_a_korean_power_of_a_class_is_not_exact(tables):
    languages = {s["source_id"]: s["language"] for s in tables["sources"]}
    read = {}
    for row in tables["figures"]:
        if languages[row["source_id"]] != "ko" or row["measure"] != "power":
            continue
        for number, unit in KO_CLASS_POWER.findall(row["quote"]):
            if KO_POWER_UNITS[unit] == row["unit"] and float(number.replace(",", "")) == float(row["value"]):
                read[row["figure_id"]] = row["qualifier"]
    assert len(read) >= 4
    assert {fid: q for fid, q in read.items() if q == "exact"} == {}


# Japanese 規模 after a number ("150MW規模", "800基規模") is a suffix: "on the scale of", as
# Japanese writes a round size; the qualifier review of 2026-12-06 read it as a hedge and kept
# `approximately` (`quality/qualifier-review-2026-12-06.csv`), unlike Korean 규모 above, which
# follows the number as "a size of", and Chinese 规模 as a noun ("募资规模为60亿元": the size of the
# raise is), which hedge nothing. Every Japanese quote with a number before 規模 is read one way,
# unless a bound of its own decides (最大 at most, 以上 or more, 超 over).
JA_SCALE = re.compile(r"[0-9０-９][^、。\s]{0,8}規模")
JA_BOUND = re.compile(r"最大|以上|超")


def test_kibo_after_a_number_in_japanese_is_approximately(tables):
    languages = {s["source_id"]: s["language"] for s in tables["sources"]}
    read = {row["figure_id"]: row["qualifier"] for row in tables["figures"]
            if languages[row["source_id"]] == "ja" and JA_SCALE.search(row["quote"]) and not JA_BOUND.search(row["quote"])}
    assert len(read) >= 6
    assert {fid: q for fid, q in read.items() if q != "approximately"} == {}


# "up to" after a verb of rising is where a number goes, not a ceiling.
RISES_TO = {
    "stargate-sites-2025-09-power-windowsreport": "capacity \"now bumps up to 7 gigawatts\": rises to",
    "wayve-funding-2026-valuation-cityam": "\"ticking its valuation up to $8.6bn\": rises to",
}


@pytest.mark.parametrize(
    ("quote", "unit", "hedged_value"),
    [
        ("The deal is worth about $3 billion", "USD", 3e9),
        ("raised more than €50m in its Series A", "EUR", 50e6),
        ("a stake of up to 4.9%", "percent", 4.9),
    ],
)
def test_hedged_reads_the_number_after_an_english_hedge_word(quote, unit, hedged_value):
    with_hedge, plain = hedged(quote, unit)
    assert hedged_value in with_hedge and hedged_value not in plain


def test_over_a_period_is_no_hedge():
    assert hedged("to sell chips to Meta over 5 years", "years") == (set(), {5.0})
    assert hedged("to sell chips to Meta over 5 years", "USD") == ({5.0}, set())


def test_a_number_an_english_hedge_word_qualifies_is_not_exact(tables):
    """A figure marked `exact` whose value its quote gives only right after "about", "more than",
    "up to" and the like takes that word's qualifier (README); the qualifier reviews read every
    quote so, and this keeps new rows to it."""
    wrong = []
    for row in tables["figures"]:
        if row["qualifier"] != "exact" or row["figure_id"] in RISES_TO:
            continue
        with_hedge, plain = hedged(row["quote"], row["unit"])
        value = float(row["value"])
        unit = "" if row["unit"] == "years" else row["unit"]  # not 60 months for "$60bn" over 5 years
        if states(value, unit, with_hedge) and not states(value, unit, plain):
            wrong.append(row["figure_id"])
    assert wrong == [], ("the quote gives the value only after a hedge word: the qualifier is that word's "
                         "(`approximately` for about/around, `more_than`, `up_to`, `at_least`; README, How to read a figure)")
    assert [f for f in RISES_TO if f not in {r["figure_id"] for r in tables["figures"]}] == []

