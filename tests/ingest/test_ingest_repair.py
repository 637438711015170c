"""Mojibake repair: cp874 handled generally, ftfy for the rest, idempotent, valid text kept."""
from __future__ import annotations

import re
import unicodedata

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-*" codecs)
from ftfy.chardata import CHARMAP_ENCODINGS

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


# Letters, digits, spaces and common punctuation up to Cyrillic.
PLAIN = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs", "Po", "Pd", "Pi", "Pf"),
                              max_codepoint=0x4FF))
# The single-byte code pages that UTF-8 is read back from: ftfy's own list, whose
# windows pages are its "sloppy" ones (a byte the page leaves out reads as the Latin-1
# letter: Hypothesis found 'ė¡Ø', the bytes EB A1 A8 of '롨' in sloppy windows-1257,
# where plain cp1257 has no A1), and cp874, which digest undoes itself. Latin Extended-A,
# Greek and Cyrillic letters are the upper halves of windows-1250, 1253 and 1251, so a few
# of them in a row can spell UTF-8 bytes.
CODE_PAGES = (*CHARMAP_ENCODINGS, "cp874")
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                           rb"|[\xf0-\xf4][\x80-\xbf]{3}")


def spells_utf8(text: str) -> bool:
    """True when some run of `text`, written in one of CODE_PAGES, is a UTF-8 sequence:
    the text may be mojibake, and reading it so is a fair guess. A space may stand for byte
    A0 (a no-break space whose byte was lost, as in "Â " for U+00A0: ftfy restores it)."""
    for page in CODE_PAGES:
        data = b"".join(_encoded(c, page) for c in text)
        if UTF8_SEQUENCE.search(data) or UTF8_SEQUENCE.search(data.replace(b" ", b"\xa0")):
            return True
    return False


def _encoded(char: str, page: str) -> bytes:
    try:
        return char.encode(page)
    except UnicodeEncodeError:
        return b"\0"  # breaks any sequence


@settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_valid_text_is_never_changed(text):
    # Text in normal form (NFC, single spaces) made of letters that cannot spell mojibake of
    # a single-byte code page must come back exactly as it was.
    normal = unicodedata.normalize("NFC", normalize_whitespace(text))
    assume(not spells_utf8(normal))
    assert repair(normal).text == normal
    assert repair(normal).repairs == ()


def test_letters_that_spell_utf8_in_windows_1250_are_read_as_mojibake():
    """Hypothesis found that 'ĺĽŹ' (Latin Extended-A, no Latin-1 supplement) is exactly the
    bytes E5 BC 8F of '式' read as windows-1250: ftfy reads it so, and the test above had
    claimed such letters could not spell mojibake."""
    assert spells_utf8("ĺĽŹ") and "式".encode().decode("cp1250") == "ĺĽŹ"
    assert repair("ĺĽŹ").text == "式"
    assert not spells_utf8("Łódź, Київ, Ελλάδα")


def test_letters_that_spell_utf8_in_sloppy_windows_1257_are_read_as_mojibake():
    """'ė¡Ø' is the bytes EB A1 A8 of '롨' in ftfy's sloppy windows-1257 (A1 has no letter in
    cp1257 itself): ftfy reads it so, and the property above must count it as mojibake."""
    assert spells_utf8("ė¡Ø") and "롨".encode().decode("sloppy-windows-1257") == "ė¡Ø"
    assert repair("ė¡Ø").text == "롨"
