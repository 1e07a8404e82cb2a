"""A bad source profile is refused before any crawl, naming the file, the key and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from szwatch.crawler.profile import DEFAULT_PROFILE, ProfileError, load_profile


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "site.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def test_shipped_profile_loads():
    profile = load_profile()
    assert profile.id == "szrb"
    assert profile.urls["entry"] == "/shtml/index_szrb.shtml"


def test_unknown_key_names_file_key_and_line(tmp_path: Path):
    path = broken(tmp_path, "first_page = ", "frist_page = ")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(err.value).startswith(f"{path}:{line_of(path, 'frist_page')}: urls.frist_page: unknown key")


def test_bad_regex_is_named(tmp_path: Path):
    path = broken(tmp_path, "issue_no = '第", "issue_no = '(第")
    with pytest.raises(ProfileError, match=r"patterns.issue_no: bad regular expression"):
        load_profile(path)


def test_wrong_type_and_syntax_error(tmp_path: Path):
    with pytest.raises(ProfileError, match=r"crawl.download_delay: expected number"):
        load_profile(broken(tmp_path, "download_delay = 2.0", 'download_delay = "slow"'))
    with pytest.raises(ProfileError, match=r"\(syntax\)"):
        load_profile(broken(tmp_path, "[urls]", "[urls"))


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(ProfileError, match=r"nothing\.toml"):
        load_profile(tmp_path / "nothing.toml")


def test_bundled_profiles_load_by_id_and_a_wrong_id_names_the_bundled_ones():
    epaper = load_profile("szrb-epaper")
    assert (epaper.family, epaper.paper, epaper.urls["issue"]) == (
        "html-page",
        "szrb",
        "/szrb/{yyyymmdd}/html/index.htm",
    )
    assert load_profile("sxrb").urls["page"] == "/shtml/sxrb/{yyyymmdd}/v{page}.shtml"  # the family's, with its code
    with pytest.raises(ProfileError, match=r"nosuch: neither a bundled profile nor a file \(bundled: dtrb, rmrb"):
        load_profile("nosuch")


def test_an_unknown_family_and_a_bad_date_are_named(tmp_path: Path):
    with pytest.raises(ProfileError, match=r"source.family: unknown family 'founder-x'"):
        load_profile(broken(tmp_path, 'family = "shtml"', 'family = "founder-x"'))
    with pytest.raises(ProfileError, match=r"source.serves_from: a date like 2024-12-01"):
        load_profile(broken(tmp_path, 'code = "szrb"', 'code = "szrb"\nserves_from = "last year"'))
