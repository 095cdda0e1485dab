"""Jupyter kernels for the built-in renderer: started, forked, made ready, reset.

:mod:`kernel` is the running kernel a renderer executes on (with its one request helper);
:mod:`forkserver` forks warm kernels for a batch, :mod:`provisioner` is the jupyter_client
provisioner that asks it for one, :mod:`client` the kernel client that is ready as soon as
the kernel is; :mod:`inkernel` is the code that runs inside a kernel (the reset between
documents, the warm-up); :mod:`environment` the environment a kernel gets.

This ``__init__`` imports nothing, and :mod:`forkserver` and :mod:`environment` import
nothing heavy, so the command line can start the fork server before any other import.
"""
