"""Jobs: a training run's or pre-annotation's life as rows (claim, progress, finish, reap), its
folder, the heartbeat lease, and the django-q2 worker's supervisor. Plain ORM and processes: no
Spark is imported here, so the web process, the worker and the child may all use it.
"""
