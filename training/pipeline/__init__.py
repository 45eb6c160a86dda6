"""The pipeline: what runs only in the child process that owns the JVM (``manage.py run_training``
and ``run_preannotation``, started by ``training.jobs.supervisor``). Train a run's models,
pre-annotate a job's tasks, and what they need: training data, embeddings, the logs, the predictor.
The only importer of ``training.engine`` (checked by the import-linter contracts in pyproject.toml).
"""
