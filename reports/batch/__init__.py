"""``atlas batch``: the portrait fiches of every territory of a level, on ``dask.distributed``.

* :mod:`reports.batch.plan` — which territories a level has (:data:`~plan.LEVELS`), the content
  hash of a fiche's inputs, and what a run can skip (the fiche is unchanged).
* :mod:`reports.batch.worker` — what runs in a Dask worker: its Session, opened once per
  process, and the task that builds one fiche and returns its bytes.
* :mod:`reports.batch.run` — the cluster (a ``LocalCluster`` or a scheduler's address), the
  tasks, the progress bar, the summary.
* :mod:`reports.batch.index` — ``index.csv`` and ``index.html`` of ``output/<level>/``.
"""

from reports.batch.run import BatchReport, run_batch

__all__ = ["BatchReport", "run_batch"]
