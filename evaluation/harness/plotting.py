"""Headless matplotlib for benchmark plots and reports."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

#: Height in pixels of the band :func:`label_image` adds above an image.
LABEL_BAND_PX = 22


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend: plots are written on machines without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, dpi: int = 90) -> Path:
    """Lay out ``fig``, write it as PNG to ``path`` and free it (figures otherwise pile up per run)."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return Path(path)


def label_image(src: str | Path, dst: str | Path, label: str, dpi: int = 100) -> Path:
    """Copy the PNG ``src`` to ``dst`` with ``label`` written in a band above it.

    A benchmark's own figures (``artifacts/*.png``) do not say which run drew them; once copied
    into a report beside other runs' figures they must. The pixels of ``src`` are placed 1:1
    (``figimage`` at the saving dpi), so the copy is not resampled. An image matplotlib cannot
    read is copied unchanged: the report's caption still names the run.

    Args:
        src: PNG to copy.
        dst: Where to write the labelled copy.
        label: Text for the band (the run's name).
        dpi: Dots per inch of the figure; only scales the label's font, never the image.

    Returns:
        ``dst`` as a path.
    """
    dst = Path(dst)
    plt = pyplot()
    try:
        image = plt.imread(src)
    except Exception:  # noqa: BLE001 - any unreadable image still belongs in the report
        shutil.copyfile(src, dst)
        return dst
    height, width = image.shape[:2]
    total = height + LABEL_BAND_PX
    fig = plt.figure(figsize=(width / dpi, total / dpi), dpi=dpi)
    fig.figimage(image, xo=0, yo=0, origin="upper")
    # Font size in points from the band's pixel height, so the label fits whatever the dpi.
    fig.text(4 / width, 1 - LABEL_BAND_PX / 2 / total, label, ha="left", va="center",
             fontsize=0.55 * LABEL_BAND_PX * 72 / dpi, fontweight="bold", color="#333333")
    fig.savefig(dst, dpi=dpi)
    plt.close(fig)
    return dst
