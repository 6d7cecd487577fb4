"""Word-rule cost with a site of 1,000 terms: SiteRules build time and µs per ~500-character
mixed Arabic/English comment. Run: .venv/bin/python bench/bench_matcher.py"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from moderation.text.fold import fold, without_clitics
from moderation.text.rules import SiteRules

_ARABIC_WORDS = (
    "حمار كلب خنزير غبي حقير تافه قذر وسخ لعين منافق كذاب خائن عميل جاهل أحمق مرتزق سافل "
    "ساقط منحط متخلف حثالة بهيم جبان نذل واطي زبالة قمامة عاهر فاسد لص حرامي مجرم سفاح "
    "إرهابي مأجور ذليل خسيس دجال مشعوذ شبيح بلطجي مخبول معتوه مجنون أهبل عبيط تافهة حقيرة "
    "كذابة خائنة منافقة قرض ربح سريع مجاني اشتراك عرض خصم تخفيض كازينو مراهنات رهان يانصيب "
    "جائزة فوز أرباح تداول عملات بيتكوين استثمار مضمون دواء تخسيس تنحيف منشطات فياجرا "
    "وظيفة منزلية دخل إضافي"
)
_ENGLISH_WORDS = (
    "idiot moron stupid dumb loser scum trash garbage liar traitor clown fool jerk creep "
    "coward bastard scumbag dickhead asshole bitch slut whore spam scam casino poker "
    "betting lottery jackpot viagra cialis pills diet crypto bitcoin forex investment "
    "profit bonus free cheap discount offer loan credit payday winner prize click subscribe "
    "followers likes hack cheat porn xxx escort dating hookup"
)
ARABIC_WORDS = _ARABIC_WORDS.split()
ENGLISH_WORDS = _ENGLISH_WORDS.split()
ARABIC_SUFFIXES = ("", "ين", "ون", "ات", "ه", "ها", "هم")
ENGLISH_SUFFIXES = ("", "s", "er", "ing", "ed")

ARABIC_SENTENCES = (
    "أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفية.",
    "شهدت أسواق المال العربية ارتفاعا ملحوظا مع نهاية تعاملات الأسبوع.",
    "فاز المنتخب الوطني في مباراة ودية أقيمت على ملعب العاصمة مساء أمس.",
    "تتوقع الأرصاد الجوية أمطارا غزيرة على المرتفعات خلال الأيام المقبلة.",
    "أرى أن هذا القرار سيؤثر على الأسعار في المدى القريب، والله أعلم.",
    "شكرا للكاتب على هذا المقال الرائع والتحليل العميق للأحداث.",
    "للأسف لم يتطرق التقرير إلى معاناة السكان في المخيمات.",
    "ههههه كلام جميل لكنه بعيد عن الواقع يا أخي.",
)
ENGLISH_SENTENCES = (
    "The central bank kept interest rates unchanged this quarter.",
    "Great article, thanks for the balanced coverage of the talks.",
    "I disagree with the author's view on the new trade agreement.",
    "Read more at https://example.com/news/2024/article and www.example.org.",
)


def build_terms(rng: random.Random, count: int) -> list[str]:
    terms: set[str] = set()
    while len(terms) < count:
        kind = rng.random()
        if kind < 0.45:
            terms.add(rng.choice(ARABIC_WORDS) + rng.choice(ARABIC_SUFFIXES))
        elif kind < 0.8:
            terms.add(rng.choice(ENGLISH_WORDS) + rng.choice(ENGLISH_SUFFIXES))
        elif kind < 0.9:
            terms.add(f"{rng.choice(ARABIC_WORDS)} {rng.choice(ARABIC_WORDS)}")
        else:
            terms.add(f"{rng.choice(ENGLISH_WORDS)} {rng.choice(ENGLISH_WORDS)}")
    return sorted(terms)


def build_comment(rng: random.Random, terms: list[str], length: int = 500) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        pool = ARABIC_SENTENCES if rng.random() < 0.75 else ENGLISH_SENTENCES
        parts.append(rng.choice(pool))
        if rng.random() < 0.1:  # now and then a listed term, plainly or disguised
            term = rng.choice(terms)
            parts.append(rng.choice((term, " ".join(term), "و" + term, term.upper())))
    return " ".join(parts)[:length]


def median_microseconds(action: Callable[[], object], runs: int, repeat: int = 7) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(runs):
            action()
        timings.append((time.perf_counter() - started) / runs)
    return statistics.median(timings) * 1e6


def main() -> None:
    rng = random.Random(20240601)
    terms = build_terms(rng, 1000)
    banned, suspect = terms[::2], terms[1::2]
    comments = [build_comment(rng, terms) for _ in range(200)]
    build_ms = (
        median_microseconds(
            lambda: SiteRules(banned_terms=banned, suspect_terms=suspect), runs=1, repeat=5
        )
        / 1000
    )
    rules = SiteRules(banned_terms=banned, suspect_terms=suspect, reserved_names=["al-akhbar"])
    outcomes = [rules.evaluate(name="قارئ", body=body) for body in comments]

    def evaluate_all() -> None:
        for body in comments:
            rules.evaluate(name="قارئ", body=body, website=None)

    # The two paths are timed apart through SiteRules' private matcher, each including the fold.
    def exact_path_all() -> None:
        for body in comments:
            folded = fold(body)
            list(rules._terms.exact.find([without_clitics(token) for token in folded.tokens]))

    def loose_path_all() -> None:
        for body in comments:
            list(rules._terms.loose.find(fold(body).loose().readings))

    per_comment = len(comments)
    print(f"terms: {len(terms)} ({len(banned)} banned, {len(suspect)} suspect)")
    print(f"comments: {per_comment}, mean length {statistics.mean(map(len, comments)):.0f} chars")
    print(
        f"rejected: {sum(o.banned_term is not None for o in outcomes)}, "
        f"flagged: {sum(bool(o.flags) for o in outcomes)}"
    )
    evaluate_us = median_microseconds(evaluate_all, 5) / per_comment
    exact_us = median_microseconds(exact_path_all, 5) / per_comment
    loose_us = median_microseconds(loose_path_all, 5) / per_comment
    print(f"SiteRules build:        {build_ms:8.1f} ms")
    print(f"evaluate (everything):  {evaluate_us:8.1f} µs/comment")
    print(f"  exact path:           {exact_us:8.1f} µs/comment")
    print(f"  loose path:           {loose_us:8.1f} µs/comment")


if __name__ == "__main__":
    main()
