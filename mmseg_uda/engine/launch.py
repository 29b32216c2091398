"""Launcher-side config fixes shared by ``tools/train.py`` and ``tools/test.py``.

* :func:`setup_distributed` makes ``--launcher pytorch`` work on CPU-only machines (gloo process
  group, DDP wrapper without ``device_ids``); on GPU machines it does nothing.
* :func:`distributed_session` ends every run of a tool the same way: all ranks meet at a barrier,
  then the process group is destroyed, so no rank exits while another still talks to it.
* :func:`enable_amp` implements ``--amp`` for single- and multi-optimizer ``optim_wrapper`` configs.
"""
import datetime
import logging
import os
from contextlib import contextmanager
from typing import Dict, Iterator, Optional

import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict
from mmengine.device import (is_cuda_available, is_mlu_available, is_musa_available,
                             is_npu_available)
from mmengine.logging import print_log

TORCHRUN_ENV_VARS = ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
DEFAULT_CPU_WRAPPER = 'MMDistributedDataParallel'
CPU_WRAPPERS = ('MMDistributedDataParallel', 'MMSeparateDistributedDataParallel')


def accelerator_available() -> bool:
    """Whether mmengine would train on a device (CUDA, NPU, MLU or MUSA) rather than CPU."""
    return is_cuda_available() or is_npu_available() or is_mlu_available() or is_musa_available()


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` and the process group for distributed training or testing on CPU.

    Call it after the config is loaded and before the runner is built. It does nothing when
    ``launcher`` is ``'none'`` or an accelerator (CUDA, or NPU/MLU/MUSA) is available: those runs
    stay stock mmengine. Otherwise it rewrites ``cfg.model_wrapper_cfg`` with
    :func:`cpu_model_wrapper_cfg` and initialises a ``gloo`` process group from torchrun's
    environment (mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and fails on CPU; the
    runner takes a group that is already initialised as is).

    Args:
        cfg: The loaded config; ``cfg.model_wrapper_cfg`` is updated in place.
        launcher: The ``--launcher`` value: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Raises:
        RuntimeError: If torchrun's environment variables are missing.
        ValueError: If the config's model wrapper cannot run on CPU.
    """
    if launcher == 'none' or accelerator_available():
        return
    cfg.model_wrapper_cfg = cpu_model_wrapper_cfg(cfg)
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg', {})
    init_cpu_process_group(launcher, timeout_s=dist_cfg.get('timeout'))


def init_cpu_process_group(launcher: str, timeout_s: Optional[float] = None) -> None:
    """Initialise a ``gloo`` process group from torchrun's environment, unless one exists.

    Args:
        launcher: The ``--launcher`` value, named in the error message.
        timeout_s: Collective timeout in seconds (``env_cfg.dist_cfg.timeout``); ``None`` keeps
            torch's default.

    Raises:
        RuntimeError: If any of ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT`` is unset.
    """
    if torch_dist.is_initialized():
        return
    missing = [name for name in TORCHRUN_ENV_VARS if name not in os.environ]
    if missing:
        raise RuntimeError(
            f'CPU distributed run with --launcher {launcher} needs the environment variables '
            f'{", ".join(TORCHRUN_ENV_VARS)} that torchrun sets; missing: {", ".join(missing)}. '
            'Start it with tools/dist_train.sh or tools/dist_test.sh.')
    kwargs: Dict = {}
    if timeout_s is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout_s)
    torch_dist.init_process_group(
        backend='gloo',
        init_method='env://',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


@contextmanager
def distributed_session() -> Iterator[None]:
    """Run a tool's body, then shut the process group down cleanly, if there is one.

    ``tools/train.py`` and ``tools/test.py`` wrap ``runner.train()`` / ``runner.test()`` in it.
    Neither mmengine nor torch destroys the default process group at exit; with gloo on CPU a
    rank that leaves while the other still holds the group's threads aborts with "terminate
    called without an active exception" (SIGABRT), and torchrun reports the whole, complete run
    as failed. On success every rank first meets at a barrier (so none tears down while another
    is still in its last collective), then destroys the group. After an exception the group is
    destroyed without a barrier (the other ranks may never arrive) and the exception propagates.
    Without a process group it does nothing.
    """
    try:
        yield
    except BaseException:
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.destroy_process_group()
        raise
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def cpu_model_wrapper_cfg(cfg: Config) -> ConfigDict:
    """Return ``cfg.model_wrapper_cfg`` adapted to CPU modules.

    mmengine's runner passes ``device_ids=[LOCAL_RANK]`` to every wrapper that subclasses
    ``DistributedDataParallel`` (``MMSeparateDistributedDataParallel`` included), and DDP rejects
    ``device_ids`` for CPU modules. An explicit ``device_ids=None`` in the wrapper config wins over
    the runner's default. The wrapper type defaults to ``MMDistributedDataParallel`` as in
    mmengine; every other key the user set is kept, and a top-level ``find_unused_parameters``
    (which mmengine reads only without ``model_wrapper_cfg``) is carried over.

    Args:
        cfg: The loaded config.

    Returns:
        The wrapper config to assign to ``cfg.model_wrapper_cfg``.

    Raises:
        ValueError: If the wrapper type is not one of :data:`CPU_WRAPPERS`, or ``device_ids`` is
            set to something other than ``None``.
    """
    wrapper_cfg = ConfigDict(cfg.get('model_wrapper_cfg') or {})
    wrapper_type = wrapper_cfg.setdefault('type', DEFAULT_CPU_WRAPPER)
    type_name = wrapper_type if isinstance(wrapper_type, str) else wrapper_type.__name__
    if type_name not in CPU_WRAPPERS:
        raise ValueError(
            f"model_wrapper_cfg.type={type_name!r} cannot run distributed on CPU; use one of "
            f'{", ".join(CPU_WRAPPERS)}, or run on a CUDA machine.')
    if wrapper_cfg.get('device_ids') is not None:
        raise ValueError(
            f'model_wrapper_cfg.device_ids={wrapper_cfg.device_ids!r} is invalid for CPU modules; '
            'remove it (it is set to None on CPU).')
    wrapper_cfg.device_ids = None
    if 'find_unused_parameters' in cfg:
        wrapper_cfg.setdefault('find_unused_parameters', cfg.find_unused_parameters)
    return wrapper_cfg


def enable_amp(cfg: Config) -> None:
    """Switch every optimizer wrapper of ``cfg.optim_wrapper`` to ``AmpOptimWrapper`` (``--amp``).

    Handles a single wrapper (``optim_wrapper=dict(type='OptimWrapper', optimizer=...)``) and a
    multi-optimizer config whose sub-dicts are wrapper configs, e.g.
    ``optim_wrapper=dict(constructor='UDAOptimWrapperConstructor', generator=dict(
    type='OptimWrapper', optimizer=...), discriminator=dict(type='OptimWrapper', optimizer=...))``.
    A wrapper config is a dict with an ``optimizer`` key; a missing ``type`` means
    ``OptimWrapper``, as in mmengine. Wrappers that already use ``AmpOptimWrapper`` are left as
    they are, with a warning.

    Args:
        cfg: The loaded config; ``cfg.optim_wrapper`` is updated in place.

    Raises:
        RuntimeError: If no CUDA (or NPU/MLU/MUSA) device is available: ``AmpOptimWrapper``
            cannot be built on CPU.
        ValueError: If ``cfg.optim_wrapper`` holds no wrapper config, or one of a type other
            than ``OptimWrapper``/``AmpOptimWrapper``.
    """
    if not accelerator_available():
        raise RuntimeError('--amp needs a CUDA device (AmpOptimWrapper cannot train on CPU); '
                           'drop --amp to train in fp32 on this machine.')
    for key, wrapper_cfg in _optim_wrapper_cfgs(cfg).items():
        _enable_amp_in(key, wrapper_cfg)


def _optim_wrapper_cfgs(cfg: Config) -> Dict[str, ConfigDict]:
    """Map the config path of each optimizer wrapper config in ``cfg.optim_wrapper`` to it.

    Raises:
        ValueError: If there is none.
    """
    optim_wrapper = cfg.get('optim_wrapper')
    if not isinstance(optim_wrapper, dict):
        raise ValueError(f'--amp needs an optim_wrapper dict in the config, got {optim_wrapper!r}')
    if 'optimizer' in optim_wrapper:
        return {'optim_wrapper': optim_wrapper}
    found = {
        f'optim_wrapper.{name}': sub_cfg
        for name, sub_cfg in optim_wrapper.items()
        if isinstance(sub_cfg, dict) and 'optimizer' in sub_cfg
    }
    if not found:
        raise ValueError('--amp found no optimizer wrapper config (a dict with an `optimizer` '
                         f'key) in optim_wrapper or its sub-dicts: {list(optim_wrapper)}')
    return found


def _enable_amp_in(key: str, wrapper_cfg: ConfigDict) -> None:
    """Set ``type='AmpOptimWrapper', loss_scale='dynamic'`` on one wrapper config.

    Args:
        key: The config path of ``wrapper_cfg``, used in messages.
        wrapper_cfg: An optimizer wrapper config, updated in place.
    """
    wrapper_type = wrapper_cfg.get('type', 'OptimWrapper')
    if wrapper_type == 'AmpOptimWrapper':
        print_log(f'AMP training is already enabled in {key}.', logger='current',
                  level=logging.WARNING)
        return
    if wrapper_type != 'OptimWrapper':
        raise ValueError(f'--amp supports only OptimWrapper, but {key}.type={wrapper_type!r}.')
    wrapper_cfg.type = 'AmpOptimWrapper'
    wrapper_cfg.loss_scale = 'dynamic'
