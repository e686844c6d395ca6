"""Realistic synthetic transcriptions for the benchmarks, of the kinds in conventions.md.

Deterministic: the same seed gives the same corpus. Each source is a plain-text transcription
(title line with a declaration, headnote, archival furniture, opener, paragraphs with
glosses, deletions and insertions, notes, elisions, corrections, OCR damage, closer,
transmission log) of a chosen size between 2 and 40 KB.
"""

from __future__ import annotations

import random
from pathlib import Path

PEOPLE = ["Stalin", "Mao Zedong", "Kim Il Sung", "Zhou Enlai", "Molotov", "Vyshinsky", "Gromyko",
          "Shtykov", "Roshchin", "Bulganin", "Panyushkin", "Peng Dehuai", "Lin Biao"]
CODE_NAMES = [("FILIPPOV", "STALIN"), ("ORLOV", "Molotov"), ("FYN SI", "STALIN")]
PLACES = ["Korea", "China", "Japan", "Taiwan", "Beijing", "Moscow", "Pyongyang", "Seoul", "the 38th parallel"]
KINDS = ["Letter", "Ciphered Telegram", "Telegram", "Message", "Memorandum", "Report", "Record of Conversation",
         "Draft Letter", "Draft Message", "Note"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
WORDS = ("the comrades consider it necessary to inform you that the question of the delegation was discussed "
         "at length and the government agreed with the proposal concerning the supply of equipment and the "
         "dispatch of specialists while the situation on the front remains difficult and the enemy continues "
         "to concentrate forces near the coast in view of this we ask you to confirm the instructions and "
         "to report the results of the negotiations as soon as possible").split()
FURNITURE = ["Skip to content", "Document Information", "see down"]


# what a sentence may carry, by cumulative probability: names, glosses, elisions, notes,
# OCR damage, corrected dates, abbreviations with their expansion
INSERTS = (
    (0.12, lambda rng: rng.choice(PLACES)),
    (0.2, lambda rng: "{} [{}]".format(*rng.choice(CODE_NAMES))),
    (0.26, lambda rng: "[...]"),
    (0.31, lambda rng: f"[{rng.choice(WORDS)}-trans.]"),
    (0.36, lambda rng: "Kim II Sung"),
    (0.4, lambda rng: "Bulganiin"),
    (0.45, lambda rng: f"{rng.randint(2, 9)}[{rng.randint(10, 30)}] {rng.choice(MONTHS)} 1950"),
    (0.5, lambda rng: "VCh [high frequency phone]"),
)


def sentence(rng: random.Random, draft: bool) -> str:
    words = rng.sample(WORDS, rng.randint(8, 22))
    words[0] = words[0].capitalize()
    position = rng.randrange(1, len(words))
    choice = rng.random()
    for threshold, insert in INSERTS:
        if choice < threshold:
            words.insert(position, insert(rng))
            break
    if draft and rng.random() < 0.5:
        a = rng.randrange(0, len(words) - 2)
        words[a] = f"[{words[a]}]"
        words[a + 1] = f"*{words[a + 1]}*"
    return " ".join(words) + "."


def document(rng: random.Random, target: int) -> str:
    kind = rng.choice(KINDS)
    draft = kind.startswith("Draft")
    sender, recipient = rng.sample(PEOPLE, 2)
    day, month, year = rng.randint(1, 28), rng.randrange(12), rng.choice([1949, 1950, 1951, 1952, 1953])
    declaration = " (italicized passages inserted and bracketed passages deleted by hand)" if draft else ""
    lines = [f"{kind} from {sender} to {recipient}, {day} {MONTHS[month]} {year}{declaration}", ""]
    if rng.random() < 0.3:
        lines += [f"[{' '.join(rng.sample(WORDS, 20)).capitalize()}.] {rng.choice(FURNITURE)}", ""]
    if rng.random() < 0.5:
        lines += ["TOP SECRET", f"CIPHERED TELEGRAM No. {rng.randint(1000, 99999)}", ""]
    lines += [f"Comrade {recipient}!", ""]
    body: list[str] = []
    size = sum(len(line) + 1 for line in lines)
    while size < target - 200:
        paragraph = " ".join(sentence(rng, draft) for _ in range(rng.randint(2, 7)))
        if rng.random() < 0.05:
            paragraph += "\n\n- " + " ".join(rng.sample(WORDS, 10)) + "."
        body += [paragraph, ""]
        size += len(paragraph) + 2
    lines += body
    lines += ["Respectfully,", sender.upper(), f"{day}.{ROMAN[month]}.{str(year)[2:]}", ""]
    if rng.random() < 0.5:
        lines += [f"Sent: {day}.{ROMAN[month]}.{str(year)[2:]} 03.10", f"Copies: {recipient}, file"]
    return "\n".join(lines)


def generate(folder: Path, count: int, seed: int = 1950, start: int = 0) -> list[Path]:
    """Write ``count`` sources (numbered from ``start``) into ``folder``; sizes 2 to 40 KB."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + number)
        target = rng.randint(2 * 1024, 40 * 1024)
        path = folder / f"synthetic-{number:05d}.txt"
        path.write_text(document(rng, target), encoding="utf-8")
        paths.append(path)
    return paths
