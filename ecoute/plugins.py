"""One registry for every swappable engine: ASR, TTS, wake word, VAD, key provider, blob store, job runner.

An engine is a factory ``(settings) -> engine`` found under a name in its family's
entry-point group (``ecoute.asr``, ``ecoute.tts``, …), so a third party adds one by
installing a distribution that declares, for example::

    [project.entry-points."ecoute.asr"]
    my-asr = "my_package.asr:build"

and choosing it with ``ECOUTE_ASR_ENGINE=my-asr``; nothing in écoute is edited.

Built-in engines are declared the very same way, in écoute's own pyproject.toml, so the
registry (core, the bottom layer) names no module above it. Entry points of the ``ecoute``
distribution win: one from another distribution that reuses a built-in name is ignored
with a warning, so installing a package can never silently replace, say, the key provider.
Running from a source tree without an install has no metadata and therefore no engines:
:class:`EngineUnavailable` then says to install the package (``pip install -e .``).

A factory declares the languages it serves in a ``languages`` attribute (codes, or
:data:`ANY_LANGUAGE` for engines that do not depend on a language, or a callable
``(settings) -> codes`` when the answer depends on a configured model); the
:func:`declare` decorator sets it. Factories that load expensive models cache them
themselves, keyed by the settings that matter.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Final, TypeVar

from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError

log = logging.getLogger(__name__)

#: Declared by engines that serve every language (wake word, VAD, storage, jobs).
ANY_LANGUAGE: Final = "*"

Factory = Callable[[Settings], Any]
Languages = Iterable[str] | Callable[[Settings], Iterable[str]]
F = TypeVar("F")


class Family(StrEnum):
    ASR = "asr"
    TTS = "tts"
    WAKE = "wake"
    VAD = "vad"
    KEYS = "keys"
    BLOBS = "blobs"
    JOBS = "jobs"

    @property
    def group(self) -> str:
        """The entry-point group a distribution declares its engines under."""
        return f"ecoute.{self.value}"

    @property
    def noun(self) -> str:
        """How errors name one engine of this family ("unknown key provider 'x'")."""
        return _NOUNS[self]

    @property
    def language_neutral(self) -> bool:
        """Engines of this family serve any language unless they declare otherwise."""
        return self not in (Family.ASR, Family.TTS)


_NOUNS = {Family.ASR: "ASR engine", Family.TTS: "TTS engine", Family.WAKE: "wake engine",
          Family.VAD: "VAD engine", Family.KEYS: "key provider", Family.BLOBS: "blob store",
          Family.JOBS: "job runner"}

BUILTIN_ORIGIN: Final = "ecoute"
IN_PROCESS_ORIGIN: Final = "registered in process"


class UnknownEngine(BadInput):
    """No engine of that name in the family; the message lists the names there are."""


class EngineUnavailable(EcouteError):
    """An engine is registered but its factory cannot be imported or does not return the right thing."""


def declare(languages: Languages) -> Callable[[F], F]:
    """Mark a factory with the languages its engine serves (codes, ``ANY_LANGUAGE`` or ``(settings) -> codes``)."""

    def mark(factory: F) -> F:
        setattr(factory, "languages", languages)  # noqa: B010 - a function attribute mypy cannot see otherwise
        return factory

    return mark


@dataclass(frozen=True)
class Engine:
    """One registered engine: where its factory lives and who provided it."""

    family: Family
    name: str
    #: ``module:attribute`` as in an entry point ("" for an in-process registration).
    target: str
    #: "ecoute" for built-ins, the distribution's name for entry points, or IN_PROCESS_ORIGIN.
    origin: str
    factory_object: Factory | None = None

    def factory(self) -> Factory:
        if self.factory_object is not None:
            return self.factory_object
        try:  # built-in or installed: the same entry-point loading
            obj = EntryPoint(self.name, self.target, self.family.group).load()
        except (ImportError, AttributeError) as err:
            raise EngineUnavailable(f"the {self.family.noun} {self.name!r} ({self.target}, from {self.origin}) "
                                    f"cannot be loaded: {err}") from err
        if not callable(obj):
            raise EngineUnavailable(f"the {self.family.noun} {self.name!r} ({self.target}) is not a factory")
        return obj

    def languages(self, settings: Settings | None = None) -> frozenset[str]:
        """The language codes this engine serves; ``{"*"}`` when it does not depend on one."""
        declared = getattr(self.factory(), "languages", None)
        if declared is None:
            return frozenset({ANY_LANGUAGE}) if self.family.language_neutral else frozenset()
        if isinstance(declared, str):
            return frozenset({declared})
        if callable(declared):
            declared = declared(settings if settings is not None else Settings.load())
        return frozenset(declared)

    def serves(self, language: str, settings: Settings | None = None) -> bool:
        langs = self.languages(settings)
        return ANY_LANGUAGE in langs or language in langs


# -- the table: built-ins, then installed entry points, then in-process registrations ----------

_in_process: dict[Family, dict[str, Engine]] = {family: {} for family in Family}


@cache
def _discovered(family: Family) -> dict[str, Engine]:
    found = list(entry_points(group=family.group))
    table = {ep.name: Engine(family, ep.name, ep.value, BUILTIN_ORIGIN)
             for ep in found if ep.dist is not None and ep.dist.name == BUILTIN_ORIGIN}
    if not table:
        raise EngineUnavailable(f"no {family.noun} is declared: écoute's engines are entry points of its "
                                "installed package; install it (pip install -e .)")
    for ep in found:
        origin = ep.dist.name if ep.dist is not None else "an unnamed distribution"
        if origin == BUILTIN_ORIGIN:
            continue
        known = table.get(ep.name)
        if known is None:
            table[ep.name] = Engine(family, ep.name, ep.value, origin)
        else:
            log.warning("ignored the %s %r from %s (%s): %s already provides that name",
                        family.noun, ep.name, origin, ep.value, known.origin)
    return table


def builtin_names(family: Family) -> list[str]:
    """The names of écoute's own engines of ``family`` (declared in its pyproject.toml)."""
    return sorted(name for name, engine in _discovered(family).items() if engine.origin == BUILTIN_ORIGIN)


def refresh() -> None:
    """Forget what was discovered, e.g. after installing a distribution in a running process."""
    importlib.invalidate_caches()
    _discovered.cache_clear()


def engines(family: Family) -> dict[str, Engine]:
    """Every engine of ``family`` by name."""
    return {**_discovered(family), **_in_process[family]}


def names(family: Family) -> list[str]:
    return sorted(engines(family))


def get(family: Family, name: str) -> Engine:
    """The engine called ``name``; looks for newly installed distributions once before giving up."""
    table = engines(family)
    if name not in table:
        refresh()
        table = engines(family)
    try:
        return table[name]
    except KeyError:
        raise UnknownEngine(f"unknown {family.noun} {name!r}; choose one of {', '.join(sorted(table))}") from None


def configured_name(family: Family, settings: Settings) -> str:
    """The engine name ``settings`` chooses for ``family`` (the one place that maps families to settings)."""
    match family:
        case Family.ASR:
            return settings.speech.asr_engine
        case Family.TTS:
            # A configured Piper voice is meant to be used even if the engine was left at the default.
            if settings.speech.piper_voice and settings.speech.tts_engine == "espeak-ng":
                return "piper"
            return settings.speech.tts_engine
        case Family.WAKE:
            return settings.speech.wake_engine
        case Family.VAD:
            return settings.speech.vad_engine
        case Family.KEYS:
            return settings.store.key_provider
        case Family.BLOBS:
            return settings.store.blob_store
        case Family.JOBS:
            return settings.jobs.job_runner


def create(family: Family, settings: Settings, name: str | None = None) -> Any:
    """Build the engine ``name`` (default: the one ``settings`` chooses) from ``settings``.

    Returns what the factory returns; each family's ``get_…`` helper checks it against the
    family's protocol, so the type a caller sees is the protocol, not ``Any``.
    """
    engine = get(family, name or configured_name(family, settings))
    return engine.factory()(settings)


def wrong_engine(family: Family, engine: object, protocol: type) -> EngineUnavailable:
    """The error for a factory whose result lacks the family's protocol (each ``get_…`` checks)."""
    return EngineUnavailable(f"a {family.noun} factory returned {type(engine).__name__}, "
                             f"which does not provide {protocol.__name__}")


def engines_for(family: Family, language: str | None = None, settings: Settings | None = None) -> list[str]:
    """Names of the engines of ``family`` that serve ``language`` (all of them when None), sorted.

    Engines whose factory cannot be loaded are left out with a warning: a broken plugin
    must not hide the working ones.
    """
    if language is None:
        return names(family)
    found = []
    for name, engine in sorted(engines(family).items()):
        try:
            if engine.serves(language, settings):
                found.append(name)
        except EngineUnavailable as err:
            log.warning("%s", err)
    return found


def register(family: Family, name: str, factory: Factory) -> None:
    """Add an engine from code (tests, benchmarks); a name already taken is refused."""
    if name in engines(family):
        raise ValueError(f"a {family.noun} named {name!r} already exists ({engines(family)[name].origin})")
    _in_process[family][name] = Engine(family, name, "", IN_PROCESS_ORIGIN, factory)


def unregister(family: Family, name: str) -> None:
    _in_process[family].pop(name, None)


@contextmanager
def registered(family: Family, name: str, factory: Factory) -> Iterator[Engine]:
    """``register`` for the length of a ``with`` block (a test fixture's lifetime)."""
    register(family, name, factory)
    try:
        yield engines(family)[name]
    finally:
        unregister(family, name)
