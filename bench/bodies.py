"""Realistic comment bodies: half Arabic, half English, about 500 characters each.

70% plain text, 20% with a link, 10% with markup the service allows (`make_bodies`); or every
body with allowed and disallowed markup, a `javascript:` link and inline styles, 9 in 10 with a
URL (`make_markup_bodies`). Deterministic (seeded), so every run and every system under test
gets the same mix.

Each body carries GAP three times: `lua/post.lua` puts a word there that no earlier request
carried (a name made of syllables, or a number), so no body repeats word for word in a run, as
real comments do not (caches warmed by a rotation of bodies would flatter the figures).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TARGET_CHARS = 500
GAP = "\ue0ff"  # where post.lua splices a fresh word (private use: never in a sentence)
GAPS = 3

ARABIC_SENTENCES = (
    "شكراً على هذا التقرير المفصّل عن نتائج الانتخابات البلدية في المدينة.",
    "أختلف مع الكاتب في تقديره لأثر القرار على أسعار الخبز والوقود.",
    "كان من المفيد ذكر رأي النقابات العمالية قبل نشر هذه الخلاصة.",
    "الأرقام الواردة في الفقرة الثالثة لا تتطابق مع بيان وزارة المالية.",
    "أتابع هذه السلسلة منذ بدايتها وأرى أنها من أفضل ما نُشر هذا العام.",
    "نحتاج إلى مزيد من التغطية للمناطق الريفية بعيداً عن العاصمة.",
    "هل يمكن نشر الوثيقة الأصلية حتى يطّلع عليها القرّاء بأنفسهم؟",
    "المقابلة مع رئيس البلدية كانت صريحة لكنها تجاهلت ملف المياه.",
    "أرجو من الصحيفة تصحيح اسم المستشفى المذكور في الصورة الثانية.",
    "الطلاب في جامعتنا ناقشوا المقال أمس واتفق أغلبهم مع استنتاجاته.",
    "التحليل متوازن، لكن العنوان يوحي بموقف أشد مما ورد في النص.",
    "تجربة بلدنا مع مشاريع النقل العام تستحق تحقيقاً مستقلاً ومطوّلاً.",
)
ENGLISH_SENTENCES = (
    "Thanks for the detailed reporting on the council vote last night.",
    "I disagree with the columnist about how the new tariff affects small farms.",
    "It would have helped to hear from the teachers' union before drawing conclusions.",
    "The figures in the third paragraph do not match the ministry's own statement.",
    "I have followed this series from the start and it keeps getting better.",
    "Please cover the rural districts too, not only what happens in the capital.",
    "Could you publish the original document so readers can judge for themselves?",
    "The interview was candid, but it skipped the question of water shortages.",
    "Small correction: the hospital in the second photo is on the east bank.",
    "Our reading group discussed this piece and most of us agreed with it.",
    "A balanced analysis, though the headline sounds harsher than the text.",
    "Public transport projects here deserve a long independent investigation.",
)
ARABIC_NAMES = ("سارة", "محمد الأحمد", "ليلى", "يوسف", "نور", "عمر خالد", "هالة", "كريم")
ENGLISH_NAMES = ("Sarah", "James Miller", "Priya", "Tom", "Olivia Chen", "Daniel", "Grace", "Sam")
LINKS = (
    "https://example.com/news/2026/03/council-budget-report",
    "https://example.org/data/election-results.pdf",
    "https://news.example.net/analysis/water-supply",
)
# Markup the service escapes: tags outside the allowlist, inline styles, event handlers, and a
# link whose scheme is not allowed.
DISALLOWED = (
    ('<span style="color:red;font-size:40px">', "</span>"),
    ('<div style="position:fixed;top:0">', "</div>"),
    ('<a href="javascript:alert(document.cookie)">', "</a>"),
    ('<img src="https://example.com/x.png" onerror="alert(1)">', ""),
    ("<script>alert('x')</script>", ""),
    ('<p style="background:url(https://example.com/t.gif)">', "</p>"),
    ('<iframe src="https://example.com/embed">', "</iframe>"),
)
# (opening, closing) pairs from the allowed tag set: WordPress's comment tags.
MARKUP = (
    ("<b>", "</b>"),
    ("<em>", "</em>"),
    ("<blockquote>", "</blockquote>"),
    ("<code>", "</code>"),
    ('<a href="https://example.com/source">', "</a>"),
)


@dataclass(frozen=True, slots=True)
class Body:
    name: str
    template: str  # the text with GAP where post.lua puts a fresh word
    website: str | None
    kind: str  # "plain" | "link" | "markup" | "markup-heavy"
    language: str  # "ar" | "en"

    @property
    def text(self) -> str:
        """The text with one fixed word in every gap (for seeding, not for the load)."""
        return self.template.replace(GAP, "رامي" if self.language == "ar" else "Ramiro")


def _sentences(rng: random.Random, pool: tuple[str, ...], target: int) -> list[str]:
    chosen: list[str] = []
    length = 0
    while length < target:
        sentence = rng.choice(pool)
        chosen.append(sentence)
        length += len(sentence) + 1
    return chosen


def make_body(rng: random.Random, index: int) -> Body:
    language = "ar" if index % 2 == 0 else "en"
    pool = ARABIC_SENTENCES if language == "ar" else ENGLISH_SENTENCES
    roll = rng.random()
    kind = "plain" if roll < 0.7 else "link" if roll < 0.9 else "markup"
    sentences = _sentences(rng, pool, TARGET_CHARS - (60 if kind == "link" else 0))
    if kind == "link":
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(LINKS))
    elif kind == "markup":
        at = rng.randrange(len(sentences))
        opening, closing = rng.choice(MARKUP)
        sentences[at] = f"{opening}{sentences[at]}{closing}"
    return _finish(rng, index, sentences, kind, language)


def _finish(rng: random.Random, index: int, sentences: list[str], kind: str, language: str) -> Body:
    for _ in range(GAPS):  # fresh words between sentences (post.lua fills them)
        sentences.insert(rng.randrange(1, len(sentences) + 1), GAP)
    # Paragraph breaks, as people write them.
    middle = len(sentences) // 2
    text = " ".join(sentences[:middle]) + "\n\n" + " ".join(sentences[middle:])
    names = ARABIC_NAMES if language == "ar" else ENGLISH_NAMES
    website = "https://blog.example.com/" + str(index) if rng.random() < 0.2 else None
    return Body(rng.choice(names), text, website, kind, language)


def make_markup_body(rng: random.Random, index: int) -> Body:
    """Allowed and disallowed markup, a `javascript:` link and an inline style in every body; a
    bare URL in 9 of 10."""
    language = "ar" if index % 2 == 0 else "en"
    pool = ARABIC_SENTENCES if language == "ar" else ENGLISH_SENTENCES
    with_url = rng.random() < 0.9
    sentences = _sentences(rng, pool, TARGET_CHARS - 120)
    wrapped = rng.sample(range(len(sentences)), k=min(3, len(sentences)))
    pairs = [rng.choice(MARKUP), ('<a href="javascript:void(0)" style="color:red">', "</a>")]
    pairs.append(rng.choice(DISALLOWED))
    for at, (opening, closing) in zip(wrapped, pairs, strict=False):
        sentences[at] = f"{opening}{sentences[at]}{closing}"
    if with_url:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(LINKS))
    return _finish(rng, index, sentences, "markup-heavy", language)


def make_bodies(count: int, *, seed: int = 2026) -> list[Body]:
    rng = random.Random(seed)
    return [make_body(rng, i) for i in range(count)]


def make_markup_bodies(count: int, *, seed: int = 2027) -> list[Body]:
    rng = random.Random(seed)
    return [make_markup_body(rng, i) for i in range(count)]


def describe(bodies: list[Body]) -> dict[str, float]:
    """The actual mix, for the report: shares by language and kind, mean length."""
    n = len(bodies)
    return {
        "count": n,
        "arabic": sum(b.language == "ar" for b in bodies) / n,
        "plain": sum(b.kind == "plain" for b in bodies) / n,
        "link": sum(b.kind == "link" for b in bodies) / n,
        "markup": sum(b.kind == "markup" for b in bodies) / n,
        "with_url": sum(any(link in b.text for link in LINKS) for b in bodies) / n,
        "mean_chars": sum(len(b.text) for b in bodies) / n,
    }
