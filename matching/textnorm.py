"""French job-title normalisation: a small, documented method rather than a black box.

Steps, in order:

1. lower-case, strip accents (``é`` -> ``e``);
2. drop inclusive endings: ``assistant·e``, ``assistant.e``, ``assistant(e)``,
   ``vendeur/euse``, ``employé·es`` become the masculine base form;
3. split into words, drop stop words (``de``, ``la``, ``en`` ...);
4. fold feminine and plural endings with a few suffix rules (``vendeuse`` -> ``vendeur``,
   ``serveuses`` -> ``serveur``, ``cuisinière`` -> ``cuisinier``);
5. rewrite multi-word synonyms of :data:`PHRASES` (``ressources humaines`` -> ``rh``);
6. map each word through :data:`SYNONYMS` to a canonical family (``vendeur``, ``vente``,
   ``commerce`` -> ``vente``).

Two titles are then compared with the Dice coefficient of their word sets.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_INCLUSIVE = re.compile(
    r"(?<=[a-z])(?:[·•.\-/](?:e|es|ne|nes|se|ses|ve|ves|euse|euses|rice|rices|ere|eres)\b"
    r"|\((?:e|es|ne|nes|se|ve|euse|rice|ere|s)\))"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Multi-word synonyms, written in folded form (after steps 1, 2, 4 and 5).
PHRASES: dict[str, str] = {
    "ressource humaine": "rh",
    "gestion personnel": "rh",
    "service salle": "restauration",
    "grande distribution": "vente",
    "aide domicile": "aide_domicile",
    "aide soignant": "soin",
    "petite enfance": "enfance",
    "espace vert": "paysage",
    "travaux public": "batiment",
    "chef projet": "gestion_projet",
    "agent entretien": "proprete",
    "travailleur social": "social",
}

SYNONYMS: dict[str, str] = {
    # human resources
    "rh": "rh",
    "recrutement": "rh",
    "recruteur": "rh",
    "paie": "rh",
    # sales
    "vente": "vente",
    "vendeur": "vente",
    "commerce": "vente",
    "commercial": "vente",
    "caissier": "vente",
    "magasin": "vente",
    # administration and accounting
    "administratif": "administratif",
    "secretaire": "administratif",
    "secretariat": "administratif",
    "accueil": "accueil",
    "standardiste": "accueil",
    "comptable": "comptabilite",
    "comptabilite": "comptabilite",
    "gestionnaire": "gestion",
    # IT
    "informatique": "informatique",
    "informaticien": "informatique",
    "it": "informatique",
    "developpeur": "informatique",
    "programmeur": "informatique",
    "web": "informatique",
    # hotel and catering
    "cuisinier": "cuisine",
    "cuisine": "cuisine",
    "commis": "cuisine",
    "serveur": "restauration",
    "restauration": "restauration",
    "barman": "restauration",
    "hotellerie": "hotellerie",
    "receptionniste": "hotellerie",
    # logistics and transport
    "logistique": "logistique",
    "magasinier": "logistique",
    "cariste": "logistique",
    "preparateur": "logistique",
    "manutentionnaire": "logistique",
    "chauffeur": "conduite",
    "conducteur": "conduite",
    "livreur": "conduite",
    # building
    "macon": "batiment",
    "batiment": "batiment",
    "peintre": "batiment",
    "electricien": "electricite",
    "plombier": "plomberie",
    # care and social work
    "soin": "soin",
    "soignant": "soin",
    "infirmier": "soin",
    "sante": "soin",
    "educateur": "social",
    "animateur": "animation",
    "animation": "animation",
    "social": "social",
    # cleaning
    "nettoyage": "proprete",
    "proprete": "proprete",
    "entretien": "proprete",
    "menage": "proprete",
    # green spaces
    "paysagiste": "paysage",
    "jardinier": "paysage",
    "paysage": "paysage",
}

STOP_WORDS = frozenset(
    {
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "pour",
        "par",
        "sur",
        "un",
        "une",
        "avec",
        "dans",
        "h",
        "f",
    }
)

_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("euses", "eur"),
    ("euse", "eur"),
    ("trices", "teur"),
    ("trice", "teur"),
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("ieres", "ier"),
    ("iere", "ier"),
    ("eres", "er"),
    ("ere", "er"),
    ("antes", "ant"),
    ("ante", "ant"),
    ("aux", "al"),
)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_word(word: str) -> str:
    for suffix, base in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + base
    if len(word) > 3 and word.endswith(("s", "x")):
        word = word[:-1]
    if len(word) > 4 and word.endswith("ee"):
        word = word[:-1]  # employee -> employe
    return word


@lru_cache(maxsize=65536)
def normalize_words(text: str) -> frozenset[str]:
    """Canonical word set of a French job title or skill."""
    text = strip_accents(text.lower())
    text = _INCLUSIVE.sub("", text)
    folded = [_fold_word(w) for w in _NON_WORD.split(text) if w and w not in STOP_WORDS]
    joined = f" {' '.join(folded)} "
    for phrase, canon in PHRASES.items():
        joined = joined.replace(f" {phrase} ", f" {canon} ")
    return frozenset(SYNONYMS.get(word, word) for word in joined.split())


def split_jobs(text: str) -> list[str]:
    """An employer's free-text job list: ``"assistant·e RH, comptable"`` -> two titles."""
    return [part.strip() for part in re.split(r"[,;\n]|\bou\b", text) if part.strip()]


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def job_similarity(target_job: str, jobs: str) -> float:
    """Best Dice similarity between the target job and any of the employer's jobs."""
    target = normalize_words(target_job)
    return max((dice(target, normalize_words(job)) for job in split_jobs(jobs)), default=0.0)
