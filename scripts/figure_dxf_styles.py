"""Render a detail of each DXF export style of ``tests/dxf_styles.py`` for ``docs/dxf.md``.

    python scripts/figure_dxf_styles.py [OUT_DIR]     # default: docs/

Generates the sample district into a temporary folder, writes every style with ezdxf (as the
tests do) and draws the same 110 m x 76 m window of each file with ezdxf's matplotlib backend.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import ezdxf
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from ezdxf.addons.drawing import Frontend, RenderContext  # noqa: E402
from ezdxf.addons.drawing.config import BackgroundPolicy, ColorPolicy, Configuration  # noqa: E402
from ezdxf.addons.drawing.matplotlib import MatplotlibBackend  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nachverdichtung.config import load_config  # noqa: E402
from nachverdichtung.layers import load_layers  # noqa: E402
from nachverdichtung.sample import generate_sample  # noqa: E402
from tests import dxf_styles  # noqa: E402

COLORS = {"Flurstücksgrenze": 1, "AX_Flurstueck": 1, "Flurgrenze": 5, "Gemarkungsgrenze": 6,
          "AX_BesondereFlurstuecksgrenze": 5, "Zuordnungspfeil": 1, "Flurstücksnummer": 7}
TITLES = {
    "german": "(a) deutsche Layernamen, Einzellinien, Flur-Texte",
    "objektarten": "(b) AX_-Objektarten, geschlossene Polylinien, XDATA",
    "blocks": "(c) Nummern als Blöcke (ZAEHLER/NENNER) und als Bruch",
    "arrows": "(d) Nummern kleiner Flurstücke außerhalb, mit Zuordnungspfeil",
    "shortened": "(e) gekürzte Koordinaten (alkis.offset)",
}


def render(path: Path, png: Path, window, title: str, shift=(0.0, 0.0)) -> None:
    doc = ezdxf.readfile(path)
    for layer in doc.layers:
        layer.color = COLORS.get(layer.dxf.name, 8)
    fig = plt.figure(figsize=(8, 5.5), dpi=110)
    ax = fig.add_axes([0, 0, 1, 0.93])
    cfg = Configuration(background_policy=BackgroundPolicy.WHITE, color_policy=ColorPolicy.COLOR_NEGATIVE)
    Frontend(RenderContext(doc), MatplotlibBackend(ax), config=cfg).draw_layout(doc.modelspace())
    x0, y0, x1, y1 = window
    ax.set_xlim(x0 - shift[0], x1 - shift[0])
    ax.set_ylim(y0 - shift[1], y1 - shift[1])
    ax.set_aspect("equal")
    fig.suptitle(title, fontsize=11)
    fig.savefig(png)
    plt.close(fig)


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = generate_sample(Path(tmp) / "sample")
        layers = load_layers(load_config(cfg))
        small = layers.parcels[layers.parcels.area < dxf_styles.SMALL_M2]
        c = small.geometry.iloc[len(small) // 2].centroid
        window = (c.x - 55, c.y - 38, c.x + 55, c.y + 38)
        shift = (400_000.0, 5_400_000.0)
        files = {
            "german": dxf_styles.write_german(Path(tmp) / "a.dxf", layers),
            "objektarten": dxf_styles.write_objektarten(Path(tmp) / "b.dxf", layers),
            "blocks": dxf_styles.write_german(Path(tmp) / "c.dxf", layers, numbers="blocks"),
            "arrows": dxf_styles.write_german(Path(tmp) / "d.dxf", layers, numbers="arrows"),
            "shortened": dxf_styles.write_german(Path(tmp) / "e.dxf", layers, shift=shift),
        }
        for name, path in files.items():
            render(path, out / f"dxf_{name}.png", window, TITLES[name],
                   shift if name == "shortened" else (0.0, 0.0))
            print(out / f"dxf_{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
