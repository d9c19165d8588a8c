"""Files named on the command line or in a settings file besides the certificate, the layout and
the blank: a signing key, trust certificates, the PDF given to verify, an API keys file. Each is
read as a regular file within its limit (eur1pdf/small_files.py): /dev/zero, a FIFO or a folder
is refused unread, with the option and the file named, never read until memory runs out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eur1pdf.errors import Eur1pdfError
from eur1pdf.finish.limits import MAX_FILE_BYTES
from eur1pdf.pdf.foreign_limits import LIMITS
from eur1pdf.service.keys import keys_from_file
from eur1pdf.small_files import FILE_LIMITS

from .conftest import cli

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "eur1-ch-mx.json")


def test_verify_reads_what_its_own_limit_allows():
    assert FILE_LIMITS["PDF to verify"] == MAX_FILE_BYTES
    assert FILE_LIMITS["blank form"] == LIMITS.max_file_bytes


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["/dev/zero", "fifo", "folder"])
def test_a_signing_key_that_is_no_file_is_refused(tmp_path, fifo, bad):
    path, words = {
        "/dev/zero": ("/dev/zero", "a device"),
        "fifo": (str(fifo), "pipe"),
        "folder": (str(tmp_path), "folder"),
    }[bad]
    run = cli("fill", EXAMPLE, "-o", str(tmp_path / "x.pdf"), "--final", "--sign", path, timeout=60)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "signing key" in run.stderr and words in run.stderr, run.stderr
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.slow
def test_verify_refuses_a_device_a_pipe_and_an_oversized_file(tmp_path, fifo):
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * MAX_FILE_BYTES)
    for path, words in (("/dev/zero", "a device"), (str(fifo), "pipe"), (str(big), "more than")):
        run = cli("verify", path, timeout=60)
        assert run.returncode == 2 and words in run.stderr and "Traceback" not in run.stderr, run.stderr
    run = cli("verify", str(big), "--trust", "/dev/zero", timeout=60)
    assert run.returncode != 0 and "--trust /dev/zero" in run.stderr and "a device" in run.stderr


def test_an_api_keys_file_that_is_no_file_is_refused(tmp_path, fifo):
    for path in (Path("/dev/zero"), fifo, tmp_path):
        with pytest.raises(Eur1pdfError, match="cannot read the API keys file"):
            keys_from_file(path)
    huge = tmp_path / "keys.toml"
    huge.write_bytes(b"#" * (FILE_LIMITS["API keys"] + 1))
    with pytest.raises(Eur1pdfError, match="more than"):
        keys_from_file(huge)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[keys]\n")
    with pytest.raises(Eur1pdfError, match="not valid TOML"):
        keys_from_file(broken)
