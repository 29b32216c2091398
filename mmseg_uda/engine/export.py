"""Export a trained UDA model to stock MMSeg: the wrapped segmentor's weights and its config.

A ``UDASegmentor`` checkpoint holds the plain MMSeg segmentor under ``generator.segmentor.``
next to the adaptation heads and discriminators, which only training needs. The export keeps
the segmentor (weights and config), the test pipeline, dataloader and evaluator, the visualizer
and the test-time augmentation, so the pair loads with ``mmseg.apis.init_model``,
``MMSegInferencer`` and MMSeg's ``tools/test.py``; ``custom_imports`` of ``mmseg_uda`` is added
only when a component of the exported config is registered by this package (e.g.
``DeepLabV2Head``, ``EfficientNetLite``, ``CamVidDataset``), and :func:`plugin_types` names them.
``tools/model_converters/uda_to_mmseg.py`` and ``tools/infer.py`` both build on these functions.
"""
import copy
import os
import os.path as osp
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope, Registry
from mmengine.runner.checkpoint import _load_checkpoint

from ..utils import drop_pretrained

#: Prefix of the wrapped segmentor's weights inside a UDASegmentor state dict.
SEGMENTOR_PREFIX = 'generator.segmentor.'
#: Transforms of this package with a stock MMSeg equivalent, and the arguments only ours take:
#: ``LoadCheckedAnnotations`` is MMSeg's ``LoadAnnotations`` plus label checks.
STOCK_TRANSFORMS = {'LoadCheckedAnnotations': ('LoadAnnotations', ('num_classes', 'ignore_index'))}
#: Top-level keys of the UDA config that the plain config keeps as they are (when present).
KEPT_KEYS = ('test_cfg', 'test_evaluator', 'tta_model', 'env_cfg', 'vis_backends', 'visualizer',
             'log_processor', 'log_level')
#: Plain scalar checkpoint-meta entries kept by the export (``cfg``, the UDA config text, is not).
META_TYPES = (str, int, float, bool)


class ExportedPair(NamedTuple):
    """What :func:`export_plain` wrote.

    Attributes:
        config (str): Path of the plain MMSeg config.
        checkpoint (str): Path of the segmentor checkpoint.
        plugin_types (list[tuple[str, str]]): ``(config key, type)`` of every component of the
            config registered by ``mmseg_uda``; empty when stock MMSeg suffices.
    """
    config: str
    checkpoint: str
    plugin_types: List[Tuple[str, str]]


def uda_segmentor_weights(state_dict: Dict[str, torch.Tensor],
                          path: str) -> Dict[str, torch.Tensor]:
    """The wrapped segmentor's weights of a UDASegmentor state dict, keyed as MMSeg names them.

    Raises:
        KeyError: Naming ``path``, if no key starts with :data:`SEGMENTOR_PREFIX`.
    """
    plain = {k[len(SEGMENTOR_PREFIX):]: v for k, v in state_dict.items()
             if k.startswith(SEGMENTOR_PREFIX)}
    if not plain:
        raise KeyError(f'{path} holds no UDASegmentor weights (no key starts with '
                       f'{SEGMENTOR_PREFIX!r}); is it already a plain checkpoint?')
    return plain


def segmentor_weights(state_dict: Dict[str, torch.Tensor],
                      path: str) -> Dict[str, torch.Tensor]:
    """The plain segmentor's weights of a UDASegmentor or of a plain segmentor state dict.

    A state dict with keys under ``generator.`` or ``discriminators.`` is a UDASegmentor's (see
    ``UDASegmentor.uda_state_dict``, the inverse mapping); any other is returned as it is.
    """
    if any(k.startswith(('generator.', 'discriminators.')) for k in state_dict):
        return uda_segmentor_weights(state_dict, path)
    return dict(state_dict)


def export_segmentor(path: str) -> Dict[str, object]:
    """The plain segmentor's checkpoint dict from a UDASegmentor checkpoint file.

    Args:
        path (str): A checkpoint saved by training a ``UDASegmentor``.

    Returns:
        dict: ``state_dict`` with the segmentor's weights (keys as MMSeg's ``EncoderDecoder``
        names them) and ``meta`` (the source checkpoint's meta, if any).

    Raises:
        KeyError: If the file holds no ``UDASegmentor`` weights.
    """
    ckpt = _load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    return dict(state_dict=uda_segmentor_weights(state, path), meta=ckpt.get('meta', {}))


def stock_pipeline(pipeline: List[dict]) -> List[dict]:
    """A copy of ``pipeline`` with this package's transforms replaced by MMSeg's equivalents.

    Goes into nested transform lists (``TestTimeAug``); see :data:`STOCK_TRANSFORMS`.
    """

    def convert(step):
        if isinstance(step, (list, tuple)):
            return [convert(s) for s in step]
        if not isinstance(step, dict):
            return step
        step = dict(step)
        if step.get('type') in STOCK_TRANSFORMS:
            stock, own_args = STOCK_TRANSFORMS[step['type']]
            step = {k: v for k, v in step.items() if k not in own_args}
            step['type'] = stock
        if 'transforms' in step:
            step['transforms'] = convert(step['transforms'])
        return step

    return convert(list(pipeline))


def _plugin_names() -> Dict[str, str]:
    """Names registered by this package in MMSeg's registries, with the registry's name."""
    from mmseg import registry
    names = {}
    for value in vars(registry).values():
        if isinstance(value, Registry):
            for name, cls in value.module_dict.items():
                if getattr(cls, '__module__', '').split('.')[0] == 'mmseg_uda':
                    names[name] = value.name
    return names


def _typed_nodes(obj: object, key: str = '') -> Iterator[Tuple[str, str]]:
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            yield key, obj['type']
        for k, v in obj.items():
            yield from _typed_nodes(v, f'{key}.{k}' if key else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _typed_nodes(v, f'{key}.{i}')


def plugin_types(cfg: dict) -> List[Tuple[str, str]]:
    """``(config key, type)`` of every component of ``cfg`` that ``mmseg_uda`` registers.

    A type with a scope prefix (``'mmseg.ResNet'``) is looked up by its name.
    """
    ours = _plugin_names()
    return [(key, type_) for key, type_ in _typed_nodes(cfg)
            if type_.split('.')[-1] in ours]


def _required(cfg: Config, key: str) -> object:
    value = cfg
    for part in key.split('.'):
        value = value.get(part) if hasattr(value, 'get') else None
        if value is None:
            raise KeyError(f'{cfg.filename or "the config"}: {key} is missing; the export needs '
                           'the test dataloader (test pipeline and dataset classes)')
    return value


def plain_config(cfg: Config) -> Tuple[Config, List[Tuple[str, str]]]:
    """The stock MMSeg test config of a UDA config's wrapped segmentor.

    ``model`` is ``model.segmentor`` (with the data preprocessor the UDA model gives it, and no
    ``Pretrained`` initialisation: the weights come with the exported checkpoint); a config whose
    model is not a ``UDASegmentor`` keeps its model. Kept: the test pipeline (also as the
    top-level ``test_pipeline`` that ``mmseg.apis.inference_model`` reads), test dataloader,
    evaluator and loop, ``tta_pipeline`` / ``tta_model``, visualizer, the stock default hooks,
    runtime settings; this package's transforms become their stock equivalents
    (:func:`stock_pipeline`); ``default_scope`` is ``'mmseg'``. ``custom_imports`` keeps the
    source config's imports but ``mmseg_uda``, which it lists only when a component needs it.

    Args:
        cfg (Config): The (UDA) config.

    Returns:
        tuple[Config, list]: The plain config and :func:`plugin_types` of it.

    Raises:
        KeyError: Naming the config, when it has no test dataloader with a pipeline.
    """
    model = copy.deepcopy(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model)
    if model.get('type') == 'UDASegmentor':
        segmentor = model['segmentor']
        preprocessor = (segmentor.get('data_preprocessor') or model.get('data_preprocessor')
                        or cfg.get('data_preprocessor'))
        if preprocessor is not None:
            segmentor['data_preprocessor'] = preprocessor
        model = segmentor
    if 'pretrained' in model:
        model['pretrained'] = None
    drop_pretrained(model)
    pipeline = stock_pipeline(_required(cfg, 'test_dataloader.dataset.pipeline'))
    test_dataloader = copy.deepcopy(cfg.test_dataloader.to_dict())
    test_dataloader['dataset']['pipeline'] = pipeline
    plain = dict(default_scope='mmseg', model=model, test_pipeline=copy.deepcopy(pipeline),
                 test_dataloader=test_dataloader)
    for key in KEPT_KEYS:
        if key in cfg:
            value = cfg[key]
            plain[key] = copy.deepcopy(value.to_dict() if hasattr(value, 'to_dict') else value)
    if 'tta_pipeline' in cfg:
        plain['tta_pipeline'] = stock_pipeline(cfg.tta_pipeline)
    ours = set(_plugin_names())
    hooks = {name: copy.deepcopy(hook.to_dict() if hasattr(hook, 'to_dict') else hook)
             for name, hook in (cfg.get('default_hooks') or {}).items()
             if hook is not None and hook.get('type') not in ours}
    if hooks:
        plain['default_hooks'] = hooks
    plain.update(load_from=None, resume=False)
    needs = plugin_types(plain)
    imports = [m for m in (cfg.get('custom_imports') or {}).get('imports', []) if m != 'mmseg_uda']
    if needs:
        imports.append('mmseg_uda')
    if imports:
        plain['custom_imports'] = dict(imports=imports, allow_failed_imports=False)
    return Config(plain), needs


def dataset_meta(cfg: Config) -> Dict[str, list]:
    """``classes`` and ``palette`` of the config's test dataset, as MMSeg computes them.

    The dataset is built lazily (no file is read) from ``test_dataloader.dataset``, so class
    subsets (``metainfo``) and generated palettes come out as MMSeg's ``BaseSegDataset`` makes
    them.
    """
    from mmseg.registry import DATASETS
    dataset_cfg = dict(copy.deepcopy(_required(cfg, 'test_dataloader.dataset')), pipeline=[],
                       lazy_init=True)
    with DefaultScope.overwrite_default_scope('mmseg'):
        meta = DATASETS.build(dataset_cfg).metainfo
    return dict(classes=[str(c) for c in meta['classes']],
                palette=[[int(v) for v in color] for color in meta['palette']])


def check_weights_fit(model_cfg: dict, weights: Dict[str, torch.Tensor], checkpoint: str,
                      config: str) -> torch.nn.Module:
    """Build the plain segmentor of ``model_cfg`` and load ``weights`` strictly.

    Returns:
        nn.Module: The model with the weights.

    Raises:
        ValueError: Naming the checkpoint, the config and the first keys that do not fit.
    """
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as err:
        raise ValueError(f'the segmentor weights of {checkpoint} do not fit the segmentor of '
                         f'{config}: {str(err)[:1500]}') from err
    return model


def export_plain(config: str, checkpoint: str, out_dir: str,
                 name: Optional[str] = None) -> ExportedPair:
    """Write the plain MMSeg config and segmentor checkpoint of a trained UDA model.

    ``OUT_DIR/NAME.py`` is :func:`plain_config` of ``config``; ``OUT_DIR/NAME.pth`` holds
    ``state_dict`` (the segmentor's weights, checked to load strictly into the exported model)
    and ``meta``: the source checkpoint's plain scalar entries, ``dataset_meta``
    (:func:`dataset_meta`, read by ``init_model`` and ``MMSegInferencer``) and
    ``exported_from``. Only plain Python types and tensors are saved, so stock mmengine loads
    the file with torch's weights-only unpickler.

    Args:
        config (str): The UDA config the checkpoint was trained with.
        checkpoint (str): A UDASegmentor checkpoint.
        out_dir (str): Output folder (created).
        name (str, optional): File stem; default: the config's.

    Returns:
        ExportedPair: The written paths and the components that need ``mmseg_uda``.
    """
    cfg = Config.fromfile(config)
    plain, needs = plain_config(cfg)
    exported = export_segmentor(checkpoint)
    check_weights_fit(plain.model, exported['state_dict'], checkpoint, config)
    meta = {k: v for k, v in exported['meta'].items()
            if isinstance(v, META_TYPES) and k != 'cfg'}
    meta['dataset_meta'] = dataset_meta(cfg)
    meta['exported_from'] = dict(config=osp.abspath(config), checkpoint=osp.abspath(checkpoint))
    name = name or osp.splitext(osp.basename(config))[0]
    os.makedirs(out_dir, exist_ok=True)
    config_path = osp.join(out_dir, f'{name}.py')
    checkpoint_path = osp.join(out_dir, f'{name}.pth')
    plain.dump(config_path)
    torch.save(dict(state_dict=exported['state_dict'], meta=meta), checkpoint_path)
    return ExportedPair(config_path, checkpoint_path, needs)
