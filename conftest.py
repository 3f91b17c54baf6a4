"""Settings for every test, including the chapters that pytest-codeblocks runs from docs/."""

import os

# Chapters call plt.show(); without a display it must not try to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")
