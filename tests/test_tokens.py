"""Token format: prefix, 256 random bits and a checksum that refuses junk without a query."""

from __future__ import annotations

from moderation import tokens


def test_a_new_token_is_well_formed_and_unique() -> None:
    made = {tokens.new_token() for _ in range(200)}
    assert len(made) == 200
    for token in made:
        assert token.startswith("cmod_") and len(token) == tokens.TOKEN_LENGTH
        assert tokens.is_well_formed(token)


def test_any_single_character_change_breaks_the_checksum() -> None:
    token = tokens.new_token()
    for position in range(len("cmod_"), len(token)):
        for replacement in "0aZ":
            if token[position] == replacement:
                continue
            changed = token[:position] + replacement + token[position + 1 :]
            assert not tokens.is_well_formed(changed), position


def test_junk_is_not_a_token() -> None:
    for junk in (
        "",
        "cmod_",
        "ghp_" + "a" * 50,
        "cmod_" + "!" * 49,
        tokens.new_token() + "x",
        "كمود_" + "a" * 49,
    ):
        assert not tokens.is_well_formed(junk)


def test_only_a_hash_and_a_short_prefix_are_kept() -> None:
    token = tokens.new_token()
    assert len(tokens.token_hash(token)) == 32
    assert tokens.display_prefix(token) == token[:11]
