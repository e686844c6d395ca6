"""Collation: the versions of a document compared, as a critical apparatus.

A witness is a document of a source (``sources/x.txt#2``), or a whole source, in one of its
layers: its reading (the default: insertions in, deletions out, which is also its ``revised``
layer) or its ``first`` version (deletions in, insertions out). Its text comes from the TEI,
through the edition's walk, never from the raw transcription (``witness.py``).

The alignment (``align.py``) first pairs the passages two witnesses share, sentences and
the paragraphs they make, in order and, where a passage moved, out of order; then it aligns
the words within each pair, with near matches for OCR variants and spellings. More than two
witnesses are aligned progressively, each against the one most like it already aligned.

The apparatus (``apparatus.py``) is one sequence of segments, the same for every output:
the passages all witnesses read alike, and the variants (``App``) with each witness's
reading, its offsets in that witness's text and the hand edits inside it. Each witness's text
is the concatenation of its readings, exactly; the writers (``pipeline/writers/collation_*``)
only lay the apparatus out.
"""

