"""Time the training-data selection over 100,000 tasks with 300,000 completions (PostgreSQL).

Run: scripts/with_test_postgres.sh .venv/bin/python bench/selection.py [--tasks N]
Prints tasks per second and the number of SQL queries for each selection rule.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annolab.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from projects.models import Completion, Membership, Project, Review, Role, Tag, Task  # noqa: E402
from projects.selection import select_training_data  # noqa: E402


def load(n_tasks: int, seed: int = 1) -> Project:
    rng = random.Random(seed)
    User = get_user_model()
    Project.objects.filter(name="bench-selection").delete()
    owner, _ = User.objects.get_or_create(username="bench-owner")
    annotators = [User.objects.get_or_create(username=f"bench-a{i}")[0] for i in range(10)]
    reviewer, _ = User.objects.get_or_create(username="bench-reviewer")
    project = Project.objects.create(name="bench-selection", owner=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER, priority=1)
    for position, user in enumerate(annotators, start=2):
        Membership.objects.create(
            project=project, user=user, role=Role.ANNOTATOR, priority=position
        )
    tag = Tag.objects.create(project=project, name="train")
    now = timezone.now()
    with transaction.atomic():
        tasks = Task.objects.bulk_create(
            [
                Task(
                    project=project,
                    data={"text": f"note {i}"},
                    reviewer=reviewer if i % 7 == 0 else None,
                )
                for i in range(n_tasks)
            ],
            batch_size=5000,
        )
        Task.tags.through.objects.bulk_create(
            [Task.tags.through(task_id=t.pk, tag_id=tag.pk) for t in tasks if rng.random() < 0.8],
            batch_size=10000,
        )
        completions = []
        for task in tasks:
            for _ in range(3):
                submitted = rng.random() < 0.85
                when = now - timedelta(minutes=rng.randint(0, 100_000))
                completions.append(
                    Completion(
                        task_id=task.pk,
                        created_by=rng.choice(annotators),
                        result=[],
                        status="submitted" if submitted else "draft",
                        submitted_at=when if submitted else None,
                        created_at=when,
                    )
                )
        Completion.objects.bulk_create(completions, batch_size=10000)
        reviews = [
            Review(completion=c, reviewer=reviewer, approved=rng.random() < 0.7, reviewed_at=now)
            for c in completions
            if c.status == "submitted" and rng.random() < 0.3
        ]
        Review.objects.bulk_create(reviews, batch_size=10000)
        for review in reviews:
            review.completion.latest_review = review
        Completion.objects.bulk_update(
            [r.completion for r in reviews], ["latest_review"], batch_size=10000
        )
    print(f"loaded {n_tasks} tasks, {len(completions)} completions, {len(reviews)} reviews")
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this bench on PostgreSQL (scripts/with_test_postgres.sh ...).")
    call_command("migrate", verbosity=0)
    project = load(args.tasks)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for rule, tags in (("most_recent", None), ("most_recent", ["train"]), ("team_priority", None)):
        project.selection_rule = rule
        project.save()
        select_training_data(project=project, tags=tags)  # warm caches
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = select_training_data(project=project, tags=tags)
            elapsed = time.perf_counter() - started
        print(
            f"rule={rule:<13} tags={tags!s:<10} tasks={len(result.tasks)} "
            f"seconds={elapsed:.2f} tasks/s={len(result.tasks) / elapsed:,.0f} "
            f"queries={len(queries)} counts={result.counts}"
        )


if __name__ == "__main__":
    main()
