"""Labeling rounds on NCBI disease, trained once and shared by two benches (bench helper).

``bench/deploy_policy.py`` (deploy ``true`` against ``"if_better"``) and ``bench/usefulness.py``
(how many predicted regions a simulated annotator keeps) read the same model versions: for each
seed, rounds of 50 new labels up to 500, each round's NerDL trained from scratch on every label
so far. Per model version this records

* ``judge_f1``: entity F1 on the fixed NCBI test split (940 sentences), the judge of both
  benches, which no policy ever sees;
* ``test_metrics``: the product's test-set score (``training.pipeline.evaluate.score_on_test_set``
  with its fingerprint) on a *test set* of 200 sentences drawn once from the train split,
  disjoint from the pool: what ``"if_better"`` compares;
* ``next_predictions``: its predicted spans on the next round's 50 sentences, which it would
  pre-annotate for the annotators (the last version predicts 50 more).

The labels of a round are drawn at random (seeded), so the data of a round does not depend on
which model is deployed and both policies are judged on the very same model versions (a paired
comparison). With the ``uncertainty`` strategy the deployed model would also choose the next
tasks; that coupling is left out here (it would need every round trained once per policy).

Training as ``bench/active_learning.py`` does (its ``Bench``): 5 epochs, learning rate 0.005,
batches of 4, no validation split, Word2Vec 100d on the NCBI train+devel texts (the product's
default for a project: its own texts). The rounds are cached in var/bench/ncbi_rounds.json,
keyed by the setup, so the second bench reuses the first one's trainings.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings  # noqa: E402

from bench.active_learning import ROOT, Bench, f1, labelled, log  # also sets Django up
from bench.conll import ConllSentence, ncbi
from projects.labeling_config import parse_labeling_config
from training.datasets import Document, FrozenTestSet
from training.engine.embeddings import train_word2vec, word2vec_passes
from training.engine.ner import NerParams
from training.engine.predict import NerPredictor
from training.engine.session import start_spark
from training.models import NlpModel
from training.pipeline.evaluate import score_on_test_set

CACHE = ROOT / "var" / "bench" / "ncbi_rounds.json"
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text"><Label value="Disease"/></Labels>
</View>"""
POOL_SEED = 0


@dataclass(frozen=True)
class Setup:
    seeds: int = 3
    start: int = 50
    step: int = 50
    last: int = 500
    pool: int = 1000
    test_set: int = 200
    epochs: int = 5
    judge: int = 0  # 0: the whole test split

    @property
    def labels(self) -> list[int]:
        return list(range(self.start, self.last + 1, self.step))

    def key(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


def region(text: str, start: int, end: int, label: str, number: int) -> dict[str, Any]:
    """A span as a Label Studio region, as a completion or a prediction stores it."""
    return {
        "id": f"r{number}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def as_document(number: int, sentence: ConllSentence) -> Document:
    regions = [region(sentence.text, *span, i) for i, span in enumerate(sentence.spans())]
    return Document(number, number, sentence.text, regions)


def data(setup: Setup) -> tuple[list[ConllSentence], list[ConllSentence], list[ConllSentence]]:
    """The pool and the product's test set (disjoint, both from train), and the judge."""
    train = ncbi("train")
    drawn = random.Random(POOL_SEED).sample(train, setup.pool + setup.test_set)
    judge = ncbi("test")
    return drawn[: setup.pool], drawn[setup.pool :], judge[: setup.judge] if setup.judge else judge


def rounds(setup: Setup) -> dict[str, Any]:
    """``{"setup", "labels", "seeds": {seed: [version, ...]}}`` from the cache or trained now."""
    if CACHE.exists():
        cached = json.loads(CACHE.read_text())
        if cached.get("setup") == setup.key() and len(cached["seeds"]) >= setup.seeds:
            log(f"rounds from {CACHE}")
            return cached
    pool, test_sentences, judge = data(setup)
    test_set = FrozenTestSet(
        documents=[as_document(i, s) for i, s in enumerate(test_sentences)], fingerprint="ncbi-200"
    )
    config = parse_labeling_config(CONFIG)
    train_devel = ncbi("train") + ncbi("devel")
    texts = [s.text for s in train_devel]
    started = time.perf_counter()
    spark = start_spark(
        master=settings.SPARK_MASTER,
        driver_memory=settings.SPARK_DRIVER_MEMORY,
        jars_dir=settings.SPARK_JARS_DIR,
        app_name="bench-ncbi-rounds",
    )
    result: dict[str, Any] = {"setup": setup.key(), "labels": setup.labels, "seeds": {}}
    with tempfile.TemporaryDirectory(prefix="bench-rounds-") as work:
        embeddings = train_word2vec(spark, texts, dimension=100, passes=word2vec_passes(texts))
        log("Word2Vec trained")
        bench = Bench(
            spark=spark,
            embeddings=embeddings,
            pool=pool,
            pool_labelled=[labelled(s) for s in pool],
            test=judge,
            params=NerParams(
                epochs=setup.epochs, learning_rate=0.005, batch_size=4, validation_split=0.0
            ),
            work=Path(work),
        )
        for seed in range(1, setup.seeds + 1):
            order = random.Random(seed).sample(range(len(pool)), setup.last + setup.step)
            versions = []
            for count in setup.labels:
                round_started = time.perf_counter()
                model_dir = bench.train(order[:count], seed=seed, name=f"s{seed}-{count}")
                model = NlpModel(name=f"v{count}", type="ner", labels=["Disease"])
                model.path = str(model_dir)
                scores = score_on_test_set(spark, model, test_set, config)
                upcoming = order[count : count + setup.step]
                predictor = NerPredictor(spark, model_dir)
                predicted = predictor.predict(
                    [s.text for s in judge] + [pool[i].text for i in upcoming]
                )
                judge_f1 = f1(judge, predicted[: len(judge)])
                versions.append(
                    {
                        "labels": count,
                        "judge_f1": judge_f1,
                        "test_metrics": scores,
                        "next_sentences": upcoming,
                        "next_predictions": [
                            [[e.start, e.end, e.label] for e in entities]
                            for entities in predicted[len(judge) :]
                        ],
                    }
                )
                log(
                    f"seed {seed} {count:>4} labels: judge F1 {judge_f1:.4f}, test-set F1 "
                    f"{scores['micro']['f1']:.4f} ({time.perf_counter() - round_started:.0f}s)"
                )
            result["seeds"][str(seed)] = versions
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_text(json.dumps(result))
    spark.stop()
    result["minutes"] = round((time.perf_counter() - started) / 60, 1)
    CACHE.write_text(json.dumps(result))
    return result


def pool_sentences(setup: Setup) -> list[ConllSentence]:
    return data(setup)[0]
