"""The collation as JSON: the witnesses' texts, and every variant with its offsets in each.

Offsets are code points into each witness's ``text`` (as given here), ``[start, end)``;
``text[start:end]`` is that witness's reading. A witness that reads nothing at a variant has
an empty span where its text goes on. The passages paired before the words were aligned
(``alignments``), each of the base's blocks with the block of another witness it shares most
words with (``blocks``), and the passages that moved (``moves``) are given too. Laid out like
``outputs/json``: one variant a line.
"""

from __future__ import annotations

from pipeline.collate.apparatus import Apparatus, Collation
from pipeline.writers.json import layout


def _words(text: str, count: int = 6) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def summary(apparatus: Apparatus) -> dict:
    """What an editor reads first: how many variants, of which kinds, and by which hand."""
    apps = apparatus.apps
    kinds: dict[str, int] = {}
    for app in apps:
        for reading in app.readings[1:]:
            kinds[reading.type] = kinds.get(reading.type, 0) + 1
    sigla = [w.siglum for w in apparatus.witnesses]
    additions = {s: 0 for s in sigla[1:]}
    for app in apps:
        if not app.readings[0].text.strip():
            for reading in app.readings[1:]:
                for w in reading.witnesses:
                    additions[sigla[w]] += len(reading.text.split())
    return {
        "variants": len(apps),
        "substantive": sum(1 for a in apps if a.substantive),
        "accidental": sum(1 for a in apps if not a.substantive),
        "with_hand_edits": sum(1 for a in apps if a.by_hand),
        "readings_by_type": dict(sorted(kinds.items())),
        "words_added_against_the_base": additions,
        "moves": len(apparatus.moves),
    }


def group(apparatus: Apparatus) -> dict:
    sigla = [w.siglum for w in apparatus.witnesses]
    texts = [w.text for w in apparatus.witnesses]
    variants = []
    for app in apparatus.apps:
        variants.append({
            "n": app.n,
            "id": app.id,
            "substantive": app.substantive,
            "by_hand": app.by_hand,
            "readings": [{"witnesses": [sigla[w] for w in r.witnesses], "lemma": index == 0, "type": r.type,
                          "text": r.text,
                          "hands": [{"start": a, "end": b, "type": k} for a, b, k in r.hands]}
                         for index, r in enumerate(app.readings)],
            "offsets": {sigla[w]: list(span) for w, span in enumerate(app.spans)},
            "moves": list(app.moves),
        })
    return {
        "n": apparatus.n,
        "base": sigla[0],
        "witnesses": sigla,
        "summary": summary(apparatus),
        "alignments": [{"witness": sigla[p.witness], "against": sigla[p.reference],
                        "passages": [{**passage,
                                      "words": [_words(texts[p.reference][slice(*passage["reference"])]),
                                                _words(texts[p.witness][slice(*passage["witness"])])]}
                                     for passage in p.passages]}
                       for p in apparatus.pairings],
        "blocks": [{"witness": sigla[b["witness"]],
                    "pairs": [{**pair, "first_words": [_words(texts[0][slice(*pair["base"])], 4),
                                                        _words(texts[b["witness"]][slice(*pair["witness"])], 4)]}
                              for pair in b["pairs"]]}
                   for b in apparatus.blocks],
        "moves": [{"witness": sigla[m.witness], "against": sigla[m.reference], "at_witness": list(m.at_witness),
                   "at_reference": list(m.at_reference), "similarity": round(m.similarity, 3), "variants": m.apps,
                   "words": [[list(a), list(b)] for a, b in m.words]} for m in apparatus.moves],
        "variants": variants,
    }


def write_collation_json(collation: Collation) -> bytes:
    data = {
        "id": collation.id,
        "title": collation.title,
        "witnesses": [{"id": w.id, "siglum": w.siglum, "label": w.label, "source": w.source, "path": w.path,
                       "document": w.document, "layer": w.layer, "hand_edited": w.edited,
                       "hands": [{"start": a, "end": b, "type": k} for a, b, k in w.hands], "text": w.text}
                      for w in collation.witnesses],
        "collations": [group(g) for g in collation.groups],
    }
    return (layout(data) + "\n").encode("utf-8")
