"""Shared fixtures: tiny configs and batches that exercise the real components."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

import mmseg_uda  # noqa: F401  (registers the components)
from mmseg.utils import register_all_modules
from mmseg_uda.testing import make_batch  # noqa: F401  (shared with the benchmarks)
from mmseg_uda.models.segmentors.uda_segmentor import NONFINITE_TOTAL_KEY

register_all_modules(init_default_scope=True)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(REPO), 'shared', 'data')


def tiny_model_cfg(num_classes: int = 4, adaptations: dict = None, warmup_iters: int = 0,
                   aux: bool = True) -> dict:
    """The demo's small DeepLabV2, at 1/2 of its width, wrapped in UDASegmentor.

    The UDA model builds with ``adaptations`` (it needs at least one); its ``['segmentor']``
    is the plain MMSeg ``EncoderDecoder`` config, a source-only model.
    """
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/resnet18_tiny_deeplabv2.py'))
    model = copy.deepcopy(cfg.model)
    seg = model['segmentor']
    seg['backbone'].update(stem_channels=8, base_channels=8)
    seg['decode_head'].update(in_channels=64, num_classes=num_classes)
    if aux:
        seg['auxiliary_head'].update(in_channels=32, num_classes=num_classes)
    else:
        seg.pop('auxiliary_head')
    model.update(adaptations=adaptations or {}, warmup_iters=warmup_iters)
    return model


def output_space_cfg(levels=('logits', ), weights=(0.001, ), **kwargs) -> dict:
    return dict(output=dict(type='OutputSpaceAdaptation', levels=levels, loss_weights=weights,
                            discriminator=dict(type='ConvDiscriminator',
                                               channels=(8, 16, 16, 16)), **kwargs))


@pytest.fixture
def message_hub_iter():
    """Set the iteration the UDA segmentor reads from the MessageHub."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()

    def set_iter(i: int) -> None:
        hub.update_info('iter', i)

    yield set_iter
    hub.update_info('iter', 0)
    hub.update_info(NONFINITE_TOTAL_KEY, 0)  # a test's skipped steps stay its own
