"""ember-distributed: ``ember.distributed`` (process groups, collectives over MPI and NCCL,
the ``python -m ember_distributed.run`` launcher), ``nn.DataParallel``,
``nn.parallel.DistributedDataParallel`` and ``nn.SyncBatchNorm``.

Use it through ember's namespaces (``import ember.distributed as dist``); the modules here
hold the implementation.
"""

__version__ = "0.1.0"
