"""Realistic comment bodies: half Arabic, half English, about 500 characters each.

70% plain text, 20% with a link, 10% with markup the service allows. Deterministic (seeded),
so every run and every system under test gets the same mix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TARGET_CHARS = 500

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
    text: str
    website: str | None
    kind: str  # "plain" | "link" | "markup"
    language: str  # "ar" | "en"


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
    # Paragraph breaks, as people write them.
    middle = len(sentences) // 2
    text = " ".join(sentences[:middle]) + "\n\n" + " ".join(sentences[middle:])
    names = ARABIC_NAMES if language == "ar" else ENGLISH_NAMES
    website = "https://blog.example.com/" + str(index) if rng.random() < 0.2 else None
    return Body(rng.choice(names), text, website, kind, language)


def make_bodies(count: int, *, seed: int = 2026) -> list[Body]:
    rng = random.Random(seed)
    return [make_body(rng, i) for i in range(count)]


def describe(bodies: list[Body]) -> dict[str, float]:
    """The actual mix, for the report: shares by language and kind, mean length."""
    n = len(bodies)
    return {
        "count": n,
        "arabic": sum(b.language == "ar" for b in bodies) / n,
        "plain": sum(b.kind == "plain" for b in bodies) / n,
        "link": sum(b.kind == "link" for b in bodies) / n,
        "markup": sum(b.kind == "markup" for b in bodies) / n,
        "mean_chars": sum(len(b.text) for b in bodies) / n,
    }
