"""No network at run time: the whole path (inputs → assess → every output) with sockets disabled."""

from __future__ import annotations

import socket
import warnings

import pytest
import pytest_socket

from .badinput_district import write_district
from nachverdichtung.cli import main
from nachverdichtung.export import WRITERS

pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")


def _run_offline(config, out, capsys) -> tuple[int, str]:
    pytest_socket.disable_socket(allow_unix_socket=False)
    try:
        with warnings.catch_warnings(), pytest.raises(pytest_socket.SocketBlockedError):
            warnings.simplefilter("ignore")  # pytest-socket also warns; filterwarnings=error would mask the error
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # the guard is really on
        code = main(["assess", str(config), "--out", str(out), "-q", "--formats", ",".join(WRITERS)])
    finally:
        pytest_socket.enable_socket()
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_small_district_offline(tmp_path, capsys):
    config = write_district(tmp_path / "d")
    code, text = _run_offline(config, tmp_path / "out", capsys)
    assert code == 0, text
    assert "Traceback" not in text
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"protokoll.txt", "bewertung.csv", "nachverdichtung.gpkg"} <= names
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()  # re-enabled afterwards


@pytest.mark.slow
def test_sample_offline(sample_config, tmp_path, capsys):
    code, text = _run_offline(sample_config, tmp_path / "out", capsys)
    assert code == 0, text
    assert "Traceback" not in text
