"""Training-engine pieces of mmseg_uda: checkpoint loading, launcher helpers, hooks
(AdaBN, DDP checks) and export.

Importing :mod:`.checkpoint` (so importing this package) re-registers mmengine's local checkpoint
loader; see :func:`register_checkpoint_loader`.
"""
from .adabn import AdaBNHook, reestimate_bn_stats
from .checkpoint import (UnsafeCheckpointError, add_unsafe_load_flag, allow_unsafe_load,
                         load_from_local, register_checkpoint_loader, safe_torch_load)
from .checkpoint_hook import WORK_DIR_OWNER, SafeCheckpointHook, check_resume, check_work_dir_owner
from .data_checks import DataChecksHook
from .export import export_segmentor
from .hooks import DistParamsCheckHook
from .launch import (cpu_model_wrapper_cfg, distributed_session, enable_amp, init_cpu_process_group,
                     setup_distributed)
from .optim_constructor import UDAOptimWrapperConstructor
from .strict_load import checkpoint_mismatches, load_checkpoint_for_testing

__all__ = [
    'AdaBNHook', 'reestimate_bn_stats', 'load_from_local', 'register_checkpoint_loader',
    'safe_torch_load', 'allow_unsafe_load', 'add_unsafe_load_flag', 'UnsafeCheckpointError',
    'cpu_model_wrapper_cfg', 'distributed_session', 'enable_amp',
    'init_cpu_process_group', 'setup_distributed', 'export_segmentor', 'DistParamsCheckHook',
    'UDAOptimWrapperConstructor', 'SafeCheckpointHook', 'check_resume', 'check_work_dir_owner', 'WORK_DIR_OWNER', 'checkpoint_mismatches',
    'load_checkpoint_for_testing', 'DataChecksHook'
]
