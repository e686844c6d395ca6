"""The writers: each reads only the TEI and returns the bytes of one output format.

``WRITERS`` is the one table of formats: the CLI's choices and the build's outputs come
from it. A new format is one module with one public function, added here.
"""

from __future__ import annotations

from pipeline.writers.html import write_html
from pipeline.writers.json import write_json
from pipeline.writers.latex import write_latex
from pipeline.writers.text import write_text

# format -> (output folder, file suffix, writer)
WRITERS = {
    "latex": ("latex", ".tex", write_latex),
    "text": ("text", ".txt", write_text),
    "json": ("json", ".json", write_json),
    "html": ("html", ".html", write_html),
}

# The web edition's shared pages (index, persons, places, search) depend on every source: they
# are made at the end of a build by pipeline.writers.site.write_site, not per source.
