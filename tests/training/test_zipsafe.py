"""training.zipsafe on hostile archives: each refused with its reason, nothing left on disk.

Pure Python, no database: the endpoint's tests (tests/api/test_contract_model_files.py) show the
same refusals as 400s naming ``file``.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from training.zipsafe import Limits, UnsafeZip, extract

LIMITS = Limits(max_entries=20, max_bytes=1024 * 1024)


def archive(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            out.writestr(name, data)
    buffer.seek(0)
    return buffer


def symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def refused(source: io.BytesIO, tmp_path: Path, limits: Limits = LIMITS) -> str:
    destination = tmp_path / "staging"
    with pytest.raises(UnsafeZip) as caught:
        extract(source, destination, limits)
    assert not destination.exists(), "a refused zip must leave nothing behind"
    assert list(tmp_path.iterdir()) == []
    return str(caught.value)


def test_a_model_folder_is_unpacked_as_it_is(tmp_path: Path) -> None:
    source = archive(
        ("model/metadata/part-00000", b"{}"),
        ("model/stages/0_doc/metadata/part-00000", b"{}"),
        ("model/README.txt", b"hello"),
    )
    names = extract(source, tmp_path / "out", LIMITS)
    assert sorted(names) == [
        "model/README.txt",
        "model/metadata/part-00000",
        "model/stages/0_doc/metadata/part-00000",
    ]
    assert (tmp_path / "out" / "model" / "README.txt").read_bytes() == b"hello"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "points outside its folder"),
        ("model/../../evil.txt", "points outside its folder"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
        ("model\\..\\evil.txt", "backslash"),
    ],
)
def test_paths_outside_the_folder_are_refused(tmp_path: Path, name: str, reason: str) -> None:
    message = refused(archive(("model/metadata/x", b"{}"), (name, b"x")), tmp_path)
    assert reason in message and repr(name) in message
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_symlink_entry_is_refused(tmp_path: Path) -> None:
    message = refused(archive(("model/a", b"x"), symlink("model/link", "/etc/passwd")), tmp_path)
    assert "symbolic link" in message and "model/link" in message


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        source = archive(("model/a", b"x"), ("model/a", b"y"))
    assert "twice" in refused(source, tmp_path)
    assert "both as a file and as a folder" in refused(
        archive(("model/a", b"x"), ("model/a/b", b"y")), tmp_path
    )


def test_a_zip_bomb_stops_at_the_declared_size(tmp_path: Path) -> None:
    # 64 MB of zeros compress to about 64 KB; the limit is 1 MB, and nothing is written.
    bomb = archive(("model/zeros", b"\0" * (64 * 1024 * 1024)))
    assert len(bomb.getvalue()) < 200 * 1024
    assert "more than 1048576 bytes" in refused(bomb, tmp_path)


def test_a_zip_whose_headers_lie_about_its_size_is_refused(tmp_path: Path) -> None:
    """Headers that declare 10 bytes for 2 MB of data: the declared-size check passes, the
    unpacking does not write more than the headers said."""
    data = archive(("model/zeros", b"\0" * (2 * 1024 * 1024))).getvalue()
    real = struct.pack("<I", 2 * 1024 * 1024)
    lied = data.replace(real, struct.pack("<I", 10))
    assert lied != data
    message = refused(io.BytesIO(lied), tmp_path)
    assert "corrupt" in message or "zip bomb" in message


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    source = archive(*((f"model/{n}", b"x") for n in range(21)))
    assert "holds 21 entries; at most 20" in refused(source, tmp_path)


def test_not_a_zip_corrupt_and_empty_are_refused(tmp_path: Path) -> None:
    assert refused(io.BytesIO(b"just some text"), tmp_path) == "The file is not a zip archive."
    truncated = archive(("model/a", b"x" * 1000)).getvalue()[:60]
    assert "corrupt" in refused(io.BytesIO(truncated), tmp_path)
    assert refused(archive(), tmp_path) == "The zip is empty: it holds no file."
    assert "empty" in refused(archive(("model/", b"")), tmp_path)


def test_a_damaged_entry_is_refused(tmp_path: Path) -> None:
    data = bytearray(archive(("model/a", b"abcdefgh" * 4000)).getvalue())
    data[100] ^= 0xFF  # inside the compressed data
    assert "corrupt" in refused(io.BytesIO(bytes(data)), tmp_path)


def test_a_name_the_file_system_refuses_is_refused(tmp_path: Path) -> None:
    message = refused(archive((f"model/{'x' * 300}", b"x")), tmp_path)
    assert "cannot be unpacked" in message
