"""Text repair: mojibake (cp874 and, via ftfy, the rest), Unicode NFC, whitespace."""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

import ftfy

log = logging.getLogger(__name__)

THAI = re.compile(r"[\u0e00-\u0e7f]")


def _cp874_class(lo: int, hi: int) -> str:
    """Return a regex character class of the characters cp874 maps bytes lo..hi to."""
    chars = []
    for b in range(lo, hi + 1):
        try:
            chars.append(bytes([b]).decode("cp874"))
        except UnicodeDecodeError:
            continue
    return "[" + "".join(re.escape(c) for c in chars) + "]"


_CONT = _cp874_class(0x80, 0xBF)
# UTF-8 byte sequences (lead byte + continuation bytes) as they look when read as cp874.
_UTF8_AS_CP874 = re.compile(
    "(?:" + "|".join([
        _cp874_class(0xC2, 0xDF) + _CONT,
        _cp874_class(0xE0, 0xEF) + _CONT + "{2}",
        _cp874_class(0xF0, 0xF4) + _CONT + "{3}",
    ]) + ")+"
)

_FTFY = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=True, fix_encoding=True,
    restore_byte_a0=True, replace_lossy_sequences=False, decode_inconsistent_utf8=True,
    fix_c1_controls=True, fix_latin_ligatures=False, fix_character_width=False,
    uncurl_quotes=False, fix_line_breaks=True, fix_surrogates=True, remove_control_chars=True,
    normalization="NFC", explain=True,
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r"\n{4,}")  # keep up to two blank lines: a layout cue


@dataclass(frozen=True)
class Repaired:
    """Repaired text and the names of the repairs applied."""

    text: str
    repairs: tuple[str, ...]


def repair(text: str) -> Repaired:
    """Return text with mojibake fixed, NFC, whitespace normalised; idempotent."""
    repairs: list[str] = []
    for _ in range(4):  # converge: repairing twice must equal repairing once
        fixed, found = _repair_once(text)
        if fixed == text:
            break
        text = fixed
        repairs.extend(r for r in found if r not in repairs)
    return Repaired(text, tuple(repairs))


def _repair_once(text: str) -> tuple[str, list[str]]:
    """Return one pass of every repair and the names of those that changed something."""
    found: list[str] = []
    step = fix_cp874(text)
    if step != text:
        found.append("mojibake cp874")
    step, ftfy_steps = fix_other(step)
    found.extend(ftfy_steps)
    spaced = normalize_whitespace(step)
    if spaced != step.strip("\n"):  # trimming the ends of the text is not worth a mention
        found.append("whitespace")
    return spaced, found


def fix_cp874(text: str) -> str:
    """Return text with UTF-8 that was read as Thai windows-874 decoded back; else unchanged."""
    matches = list(_UTF8_AS_CP874.finditer(text))
    if not matches or _has_real_thai(text, matches):
        return text
    out, last = [], 0
    for m in matches:
        out.append(text[last:m.start()])
        out.append(_decode_run(m.group()))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _has_real_thai(text: str, matches: list[re.Match[str]]) -> bool:
    """Return True when Thai letters occur outside the suspicious runs: genuine Thai text."""
    return bool(THAI.search(_outside(text, matches)))


def _outside(text: str, matches: list[re.Match[str]]) -> str:
    """Return the text between the matches."""
    parts, last = [], 0
    for m in matches:
        parts.append(text[last:m.start()])
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def _decode_run(run: str) -> str:
    """Return the run re-encoded as cp874 and decoded as UTF-8 when that is valid and better."""
    try:
        fixed = run.encode("cp874").decode("utf-8")
    except UnicodeError:
        return run
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in fixed):
        return run
    return fixed if len(fixed) < len(run) else run


def fix_other(text: str) -> tuple[str, list[str]]:
    """Return text repaired by ftfy (curly quotes kept) and names of the fixes it applied."""
    fixed, explanation = ftfy.fix_and_explain(text, config=_FTFY)
    names = []
    for action, arg in explanation or ():
        if action == "decode":
            continue  # the second half of an encode/decode pair
        if action == "encode":
            name = f"mojibake {arg.replace('sloppy-', '')}"
        elif action == "normalize":
            name = "unicode NFC"
        else:
            name = arg.replace("_", " ") if action == "apply" else action
        if name not in names:
            names.append(name)
    return fixed, names


def normalize_whitespace(text: str) -> str:
    """Return text with unified newlines, single spaces, trimmed lines, at most two blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n\n", "\n".join(lines)).strip("\n")
