"""mmseg_uda: unsupervised domain adaptation for semantic segmentation on MMSegmentation 1.x.

Importing this package registers every component into MMSegmentation's registries, so a config
only needs ``custom_imports = dict(imports=['mmseg_uda'], allow_failed_imports=False)``.
"""
from . import datasets, engine, evaluation, models  # noqa: F401  (registers the components)
from .registry import register_config_scope
from .version import __version__

register_config_scope()  # `_base_ = 'mmseg_uda::FOLDER/NAME.py'` (see mmseg_uda/registry.py)

__all__ = ['__version__', 'datasets', 'engine', 'evaluation', 'models']
