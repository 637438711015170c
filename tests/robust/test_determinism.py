"""Byte-identical output whatever the file-system order, locale, time zone or site location."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from robust_support import run_digest, tree, write_site

CONFIG = ("title: Déterminisme — İstanbul\nsearch: true\ntimezone: Europe/Kyiv\n"
          "outlets:\n  - name: Harbour Times\n    homepage: https://harbour.example/\n")
ARTICLES = {
    "zeta.md": "---\ntitle: Zürich harbour İ ı ß\noutlet: Harbour Times\npublished: 2024-03-04T23:30:00\n"
               "story: harbour\n---\n\nThe harbour in Zürich reopened at 23:30 on Monday, "
               "officials said. “It is open,” said Anna Müller of the port authority.\n",
    "alpha.md": "---\ntitle: Istanbul İskele\noutlet: Valley Post\npublished: 2024-03-05T00:15:00+03:00\n"
                "story: harbour\n---\n\nThe harbour reopened on Monday after repairs costing "
                "1.200.000 euros, officials said. “It is open,” Anna Müller said.\n",
    "Ärger.md": "---\ntitle: Ärger über Öffnung\noutlet: émission\npublished: 2024-03-03\n---\n\n"
                "Die Öffnung des Hafens am 3. März 2024 sorgte für Ärger, sagte İlkay Şahin.\n",
    "b/nested.md": "---\ntitle: Timeline test\npublished: 2024-02-29T12:00:00Z\nupdated: 2024-03-01\n---\n\n"
                   "On 28 February 2024 the crane failed. On 1 March repairs began.\n",
}
TZS = ("UTC", "Pacific/Kiritimati", "America/St_Johns")


@pytest.fixture(scope="module")
def locpath(tmp_path_factory):
    """Compile de_DE.UTF-8, tr_TR.UTF-8 and a Latin-1 locale into a private LOCPATH."""
    folder = tmp_path_factory.mktemp("locales")
    for name, charset in (("de_DE", "UTF-8"), ("tr_TR", "UTF-8"), ("de_DE", "ISO-8859-1")):
        done = subprocess.run(["localedef", "-i", name, "-f", charset, str(folder / f"{name}.{charset}")],
                              capture_output=True, text=True)
        assert (folder / f"{name}.{charset}").is_dir(), done.stderr
    return folder


def make(root: Path, order: list[str]) -> Path:
    write_site(root, {}, CONFIG)
    for name in order:
        path = root / "content" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ARTICLES[name], encoding="utf-8")
    return root


def built(root: Path, env: dict[str, str]) -> dict[str, str]:
    done = run_digest(root, "build", "-q", env=env)
    assert done.returncode == 0, (env, done.stderr[-2000:])
    out = tree(root / "site")
    for name in ("site", ".digest"):
        (root / name).unlink() if (root / name).is_symlink() else shutil.rmtree(root / name)
    return out


def test_same_bytes_under_every_locale_and_time_zone(tmp_path, locpath):
    root = make(tmp_path / "one", sorted(ARTICLES))
    reference = built(root, {"LANG": "C.UTF-8", "TZ": "UTC"})
    assert len(reference) > 20 and any(p.startswith("pagefind/") for p in reference)
    envs = [{"LANG": "C", "LC_ALL": "C", "TZ": TZS[1]},
            {"LANG": "de_DE.UTF-8", "LOCPATH": str(locpath), "TZ": TZS[2]},
            {"LC_ALL": "tr_TR.UTF-8", "LOCPATH": str(locpath), "TZ": TZS[0]},
            {"LC_ALL": "de_DE.ISO-8859-1", "LOCPATH": str(locpath), "TZ": TZS[1],
             "PYTHONUTF8": "0"}]
    for env in envs:
        got = built(root, env)
        diff = sorted(k for k in reference.keys() | got.keys() if reference.get(k) != got.get(k))
        assert not diff, (env, diff)


def test_same_bytes_whatever_the_file_order_and_site_location(tmp_path):
    names = sorted(ARTICLES)
    forward = built(make(tmp_path / "a", names), {"TZ": "UTC"})
    backward = built(make(tmp_path / "deeper/other place/b", names[::-1]), {"TZ": "UTC"})
    assert forward == backward
    # the same, but the content written in another order over an existing, built folder
    root = make(tmp_path / "c", names[1:] + names[:1])
    run_digest(root, "build", "-q")
    (root / "content" / names[0]).unlink()
    run_digest(root, "build", "-q")
    (root / "content" / names[0]).write_text(ARTICLES[names[0]], encoding="utf-8")
    assert built(root, {"TZ": "Pacific/Kiritimati"}) == forward
