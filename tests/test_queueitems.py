"""moderation/queueitems.py: which views are kept, for how long, and within what size."""

from __future__ import annotations

from moderation.queueitems import ItemViews
from tests.support import Clock

VIEW = '"id":"1","name":"سارة"'.encode()


def test_a_view_is_kept_for_its_row_version_only() -> None:
    views = ItemViews(clock=Clock())
    views.put(1, 700, VIEW)
    assert views.get(1, 700) == VIEW
    assert views.get(1, 701) is None  # the row changed: another version
    assert views.get(2, 700) is None


def test_a_view_leaves_after_its_lifetime_even_if_read_all_along() -> None:
    clock = Clock()
    views = ItemViews(lifetime=60.0, clock=clock)
    views.put(1, 700, VIEW)
    for _ in range(5):
        clock.now += 11.9
        assert views.get(1, 700) == VIEW
    clock.now += 0.6
    assert views.get(1, 700) is None
    assert len(views) == 0 and views.bytes == 0


def test_the_views_stay_under_their_byte_bound_oldest_first() -> None:
    views = ItemViews(max_bytes=3 * len(VIEW), clock=Clock())
    for comment_id in range(1, 5):
        views.put(comment_id, 700, VIEW)
    assert len(views) == 3 and views.bytes == 3 * len(VIEW)
    assert views.get(1, 700) is None and views.get(4, 700) == VIEW
    views.put(4, 700, VIEW)  # written again: counted once
    assert views.bytes == 3 * len(VIEW)
    views.put(5, 700, VIEW * 4)  # larger than the whole bound: not kept, nothing dropped
    assert views.get(5, 700) is None and len(views) == 3
