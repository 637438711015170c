"""Mojibake repair: cp874 handled generally, ftfy for the rest, idempotent, valid text kept."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.ingest.repair import fix_cp874, normalize_whitespace, repair
from tests.ingest.support import SEEDS, fixture_text


def test_cp874_dash_and_no_break_space_repaired():
    fixed = repair(fixture_text("mojibake_cp874.txt"))
    assert "accumulating—every camp" in fixed.text
    assert "Choe told Lavrov" in fixed.text
    assert "mojibake cp874" in fixed.repairs


def test_seed_002_mojibake_repaired():
    fixed = repair((SEEDS / "002_2a10f8a404692c78.txt").read_text(encoding="utf-8")).text
    assert "accumulating—every camp”" in fixed
    assert "Choe told Lavrov" in fixed
    assert "โ€" not in fixed and "ย" not in fixed


def test_windows_1252_mojibake_repaired_with_curly_quotes_kept():
    fixed = repair(fixture_text("mojibake_cp1252.txt"))
    assert "country’s best chance — “a real opportunity” — to reach" in fixed.text
    assert "mojibake windows-1252" in fixed.repairs


def test_genuine_thai_text_is_not_touched():
    text = fixture_text("genuine_thai.txt").strip()
    assert repair(text).text == text
    assert fix_cp874("ราคา ยก แผง") == "ราคา ยก แผง"


def test_valid_text_with_dashes_quotes_and_accents_unchanged():
    text = "The café’s owner — “Zoë” — said 1½ cups cost €3.\n\nNext paragraph: naïve, Łódź, Київ."
    assert repair(text).text == text
    assert repair(text).repairs == ()


def test_whitespace_normalised():
    assert normalize_whitespace("a\u00a0 b \r\n\r\n\r\n\r\n\r\nc\t d  ") == "a b\n\n\nc d"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_repairing_twice_equals_repairing_once(text):
    once = repair(text).text
    assert repair(once).text == once


# Letters, digits, spaces and common punctuation from scripts that do not look like mojibake
# of another code page: such text, once normalised, must come back unchanged.
PLAIN = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs", "Po", "Pd", "Pi", "Pf"),
                              max_codepoint=0x4FF))


@settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_valid_text_is_never_changed(text):
    # Text in normal form (NFC, single spaces) made of letters that cannot spell mojibake of
    # a single-byte code page (no Latin-1 supplement) must come back exactly as it was.
    normal = unicodedata.normalize("NFC", normalize_whitespace(text))
    if any(0x80 <= ord(c) <= 0xFF for c in normal):
        return
    assert repair(normal).text == normal
    assert repair(normal).repairs == ()
