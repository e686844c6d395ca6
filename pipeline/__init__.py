"""dispatch: a validation and conversion pipeline for archival transcriptions.

OCR'd transcriptions of Cold War documents go in; TEI P5 XML, validated against the
project's schema, comes out, and LaTeX, plain text, JSON and a web edition (HTML) are emitted
from that XML.
"""

__version__ = "0.1.0"
