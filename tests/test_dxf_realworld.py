"""Real-world DXF files (ezdxf's test corpus, some broken): load or fail with one clean line."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SHARED_DATA
from nachverdichtung.cli import main
from nachverdichtung.errors import InputError
from nachverdichtung.io.dxf import list_dxf_layers

from .dxf_helpers import read_alkis_dxf

CORPUS = SHARED_DATA / "dxf_ezdxf"
if not CORPUS.is_dir():
    pytest.skip(f"{CORPUS} not available", allow_module_level=True)

FILES = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() == ".dxf")


def _assert_clean(exc: InputError, path: Path) -> None:
    text = str(exc)
    assert path.name in text
    assert "\n" not in text
    assert "Traceback" not in text


@pytest.mark.parametrize("reader", ["ezdxf", "gdal"])
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_world_file_loads_or_fails_cleanly(path, reader):
    try:
        frames = read_alkis_dxf(path, preset=None, layers={"parcels": {"layers": ["*"]}},
                                crs="EPSG:25832", reader=reader)
    except InputError as exc:  # CRSError is an InputError
        _assert_clean(exc, path)
    else:
        assert frames["parcels"].geom_type.eq("Polygon").all()
    try:
        layers = list_dxf_layers(path)
    except InputError as exc:
        _assert_clean(exc, path)
    else:
        assert list(layers.columns) == ["layer", "entity_type", "count"]
        assert (layers["count"] > 0).all()


def test_corpus_is_not_empty():
    assert len(FILES) >= 30


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_cad_file_through_assess(path, tmp_path, capsys):
    """The whole command on a real CAD program's file: a result, or exit 2 with one line naming it."""
    config = tmp_path / "config.yml"
    config.write_text(f"alkis: {{path: '{path}', crs: 'EPSG:25832'}}\n", encoding="utf-8")
    code = main(["assess", str(config), "--out", str(tmp_path / "out"), "-q", "--formats", "csv"])
    err = capsys.readouterr().err.strip()
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 0 and path.name in err and "Lösung:" in err, err
    else:
        assert (tmp_path / "out" / "bewertung.csv").exists()
