"""The ``mmseg_uda`` config scope: package configs as ``_base_ = 'mmseg_uda::FOLDER/NAME.py'``.

mmengine resolves ``PACKAGE::PATH`` in a config (``mmengine/config/config.py``,
``Config._get_cfg_path``) through its table ``mmengine.config.utils.MODULE2PACKAGE`` (scope ->
package), ``get_installed_path(package)`` and the package's ``.mim`` folder: the base file is
``<installed path>/.mim/configs/PATH`` once ``.mim/model-index.yml`` does not list ``PATH`` as a
model. Every dict with a ``type`` in such a base gets ``_scope_='mmseg_uda'``, so it is built in
the registries of that scope. This module supplies both halves, as MMDetection does for its
scope (``mmdet/registry.py``):

- :func:`register_config_scope` (called when ``mmseg_uda`` is imported) adds ``mmseg_uda`` to
  ``MODULE2PACKAGE``. Its value is this module's name, not the distribution's:
  ``get_installed_path`` joins a distribution's *location* with the package name, which is
  ``site-packages/mmseg_uda`` even for an editable (PEP 660) install whose files are in the
  checkout; for a name that is not a distribution it falls back to the folder of the module
  ``importlib`` finds, ``mmseg_uda/`` in both kinds of install, where ``.mim/`` is.
- one registry of scope ``mmseg_uda`` under each MMSegmentation registry, holding nothing of
  its own: a name is looked up in MMSegmentation's registry (where ``mmseg_uda`` registers its
  components) and then mmengine's, as in scope ``mmseg``.

``MODULE2PACKAGE`` is filled when ``mmseg_uda`` is imported, so the program must import it
before it reads such a config: this package's ``tools/train.py`` and ``tools/test.py`` do, and
so does ``mim train mmseg_uda CONFIG``, which runs the shipped ``.mim/tools/train.py`` (mim
finds it in a regular install only: it looks in the distribution's location, like
``get_installed_path``; it also looks a bare file name up among all package configs, so give a
path where several folders use the name). MMSegmentation's own tools (``mim train mmseg``)
read the config first and stop with mmengine's "mmengine does not support to load mmseg_uda
config"; give them the path of the package config itself, whose relative bases and
``custom_imports`` need nothing more.
"""
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import Registry

from mmseg import registry as mmseg_registry

SCOPE = 'mmseg_uda'


def register_config_scope() -> None:
    """Let mmengine resolve ``mmseg_uda::PATH`` to ``mmseg_uda/.mim/configs/PATH``."""
    MODULE2PACKAGE[SCOPE] = __name__


class ScopeRegistry(Registry):
    """A registry of scope ``mmseg_uda`` that resolves every name through its parent.

    ``Registry.get`` imports only the registry's own ``locations`` before it looks a name up in
    the registry and then in its ancestors, so this one first imports what its parent would
    (e.g. ``mmseg.visualization`` for the visualizers): a name resolves as it does in scope
    ``mmseg``, plus ``mmseg_uda``'s own components.
    """

    def import_from_location(self) -> None:
        self.parent.import_from_location()
        super().import_from_location()


def _scope_child(parent: Registry) -> Registry:
    """The registry of scope ``mmseg_uda`` under ``parent``."""
    return ScopeRegistry(parent.name, parent=parent, scope=SCOPE, locations=['mmseg_uda'])


RUNNERS = _scope_child(mmseg_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _scope_child(mmseg_registry.RUNNER_CONSTRUCTORS)
LOOPS = _scope_child(mmseg_registry.LOOPS)
HOOKS = _scope_child(mmseg_registry.HOOKS)
DATASETS = _scope_child(mmseg_registry.DATASETS)
DATA_SAMPLERS = _scope_child(mmseg_registry.DATA_SAMPLERS)
TRANSFORMS = _scope_child(mmseg_registry.TRANSFORMS)
MODELS = _scope_child(mmseg_registry.MODELS)
MODEL_WRAPPERS = _scope_child(mmseg_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _scope_child(mmseg_registry.WEIGHT_INITIALIZERS)
OPTIMIZERS = _scope_child(mmseg_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _scope_child(mmseg_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _scope_child(mmseg_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _scope_child(mmseg_registry.PARAM_SCHEDULERS)
METRICS = _scope_child(mmseg_registry.METRICS)
EVALUATOR = _scope_child(mmseg_registry.EVALUATOR)
TASK_UTILS = _scope_child(mmseg_registry.TASK_UTILS)
VISUALIZERS = _scope_child(mmseg_registry.VISUALIZERS)
VISBACKENDS = _scope_child(mmseg_registry.VISBACKENDS)
LOG_PROCESSORS = _scope_child(mmseg_registry.LOG_PROCESSORS)
INFERENCERS = _scope_child(mmseg_registry.INFERENCERS)
