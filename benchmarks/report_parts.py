"""Where `boostreg report` spends its time, part by part, serially in one process (no drawing workers).

    .venv/bin/python benchmarks/report_parts.py runs/quickstart            # this checkout's code
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/report_parts.py runs/quickstart   # another's

Prints one JSON line of wall seconds: the imports, reading the records, the sections without their figures, and for
all figures together the plot functions (artists and layout), Agg's draw at the report's dpi, and the 256-colour
quantization and PNG encoding, then the template. The same steps as `views.figure`, timed apart.
"""

import base64
import contextlib
import io
import json
import sys
import time

t0 = time.perf_counter()
from boostreg import report as R  # noqa: E402
from boostreg import views  # noqa: E402 - the import is the first part timed
from boostreg.results import open_run  # noqa: E402

T_IMPORT = time.perf_counter() - t0


class _Collect:
    """A drawer that keeps each figure's function instead of drawing it (:func:`boostreg.views.figure`)."""

    def __init__(self):
        self.makes = []

    def submit(self, make, out):
        self.makes.append(make)


def main(folder: str) -> dict:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    collect = _Collect()

    @contextlib.contextmanager
    def collecting(jobs=None):
        views._DRAWER = collect
        try:
            yield
        finally:
            views._DRAWER = None

    R.drawing_in_parallel = collecting
    t = time.perf_counter()
    run = open_run(folder)
    run.fits, run.leaves, run.curves  # noqa: B018 - read now, timed as reading
    parts = {"import": T_IMPORT, "read": time.perf_counter() - t}
    t = time.perf_counter()
    view = R.build_report_view(run)
    parts["sections (no figures)"] = time.perf_counter() - t
    make_s = draw_s = encode_s = 0.0
    for make in collect.makes:
        a = time.perf_counter()
        fig = make()
        b = time.perf_counter()
        fig.dpi = views.PNG_DPI
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        c = time.perf_counter()
        rgba = canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        image = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        base64.b64encode(buf.getvalue())
        d = time.perf_counter()
        make_s, draw_s, encode_s = make_s + b - a, draw_s + c - b, encode_s + d - c
    parts.update(
        {
            "figures: plot functions": make_s,
            "figures: Agg draw": draw_s,
            "figures: quantize + encode": encode_s,
        }
    )
    t = time.perf_counter()
    R.render(view)
    parts["template"] = time.perf_counter() - t
    parts["figures"] = len(collect.makes)
    return parts


if __name__ == "__main__":
    print(json.dumps({k: round(v, 3) for k, v in main(sys.argv[1]).items()}))
