"""Evaluation on a dataset: stored per sentence-file version, WER of what the assistant heard."""

from __future__ import annotations

import pytest

from ecoute.improve import datasets as ds
from ecoute.improve import proposals as props
from ecoute.improve.evaluate import evaluate_dataset, history
from ecoute.improve.household import Request, gold_check, reviewed_task, reviewer
from ecoute.store.accounts import create_household, create_owner


def test_eval_runs_follow_the_sentence_files(sqlite_store, settings, tmp_path):
    settings = settings.replace(extra_sentences_dir=str(tmp_path / "extra"))
    said_heard = [("pop milk on the list", "pop silk on the list"),  # 1 substitution / 5 words
                  ("pop eggs on the list", "pop eggs on the list"),
                  ("what time is it", "what time is it")]
    with sqlite_store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="o")
        staff = reviewer(session, vault.keys, "ana@review.test")
        gold_check(session, staff)
        for said, heard in said_heard:
            slots = {"shopping_list_item": said.split()[1]} if said.startswith("pop") else {}
            intent = "HassShoppingListAddItem" if slots else "HassGetCurrentTime"
            reviewed_task(session, vault, owner_id=owner.id, request=Request("en", said, intent, slots),
                          reviewers=[staff], asr_text=heard)
        version = ds.build_dataset(session, "main")
        (before,) = evaluate_dataset(session, vault, settings, "main", label="before", split=None)
        # heard: "pop silk…" (unhandled), "pop eggs…" (unhandled), "what time is it" (right)
        assert before.wer == pytest.approx(1 / 14)  # one error over 5 + 5 + 4 reference words
        assert before.intent_accuracy == pytest.approx(1 / 3)
        assert before.unhandled_rate == pytest.approx(2 / 3)
        assert before.asr_version == "recorded" and before.dataset_label == "main v1"
        (proposal,) = props.propose(session, settings, ds.load_examples(session, vault, version))
        props.decide(session, settings, proposal.id, accept=True, staff_id="lead")
        (after,) = evaluate_dataset(session, vault, settings, "main", label="after", split=None)
        assert after.sentences_version != before.sentences_version
        # "pop silk on the list" is now understood, as silk: the intent is right, the slot is not
        assert after.intent_accuracy == pytest.approx(1.0) and after.unhandled_rate == 0.0
        assert after.slot_f1 == pytest.approx(2 * 0.5 * 0.5 / (0.5 + 0.5))  # 1 TP, 1 FP, 1 FN
        assert [r.label for r in history(session, "en")] == ["before", "after"]


@pytest.mark.slow
def test_asr_eval_transcribes_the_prepared_audio_afresh(sqlite_store, settings):
    """The --asr path: the task's sealed clip is opened with the task key and sent to tiny.en."""
    from ecoute.audio.io import load_audio, wav_bytes
    from ecoute.audio.synth import speak
    from ecoute.improve.taskcrypt import ACTOR
    from ecoute.review import tasks as review_tasks
    from ecoute.store.schema.owner import ReviewLink

    said = "what time is it"
    with sqlite_store.vault_session() as (session, vault):
        owner = create_owner(session, vault, settings, create_household(session, "h"), display_name="o")
        staff = reviewer(session, vault.keys, "ana@review.test")
        gold_check(session, staff)
        task = reviewed_task(session, vault, owner_id=owner.id, request=Request("en", said, "HassGetCurrentTime", {}),
                             reviewers=[staff], asr_text="what dime is it")
        link = session.get(ReviewLink, task.id)
        key = vault.unwrap_task_key(owner.id, task.id, link.wrapped_task_key, actor=ACTOR, purpose="test setup")
        task.audio_blob = review_tasks.audio_blob_key(task.id)
        vault.blobs.put(task.audio_blob, review_tasks.seal_for_task(key, task.id, "audio",
                                                                    wav_bytes(load_audio(speak(said)))))
        ds.build_dataset(session, "main")
        (recorded,) = evaluate_dataset(session, vault, settings, "main", split=None)
        assert recorded.wer == pytest.approx(1 / 4)
        (fresh,) = evaluate_dataset(session, vault, settings, "main", split=None, transcribe_audio=True)
        assert fresh.asr_version.startswith("faster-whisper:tiny.en")
        assert fresh.wer < recorded.wer and fresh.intent_accuracy == 1.0
