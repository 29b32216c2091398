"""A tiny UDA config with a checkpoint of its (untrained) model, for the export, inference and
test-time augmentation tests, and the UDA model's own prediction to compare against."""
from pathlib import Path
from typing import List, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from PIL import Image

from mmseg.registry import MODELS
from tests.conftest import REPO

#: A palette of the 19 Cityscapes classes that is not Cityscapes' own (MMSeg's default when a
#: checkpoint holds no classes), so a test can tell which palette was used.
PALETTE = [[10 * i, 250 - 10 * i, (70 * i) % 256] for i in range(19)]
#: Output space on the demo's model at 1/2 width, with :data:`PALETTE`. ``stock=True``: an FCN
#: head instead of the DeepLabV2 heads, so every component of the exported segmentor is stock
#: MMSeg.
CONFIG = """
_base_ = '{repo}/configs/demo/output_space_synthetic.py'
model = dict(segmentor=dict(backbone=dict(stem_channels=8, base_channels=8), {heads}))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root='{root}/target', metainfo=dict(palette={palette})))
val_dataloader = test_dataloader
"""
STOCK_HEADS = """
    decode_head=dict(_delete_=True, type='FCNHead', in_channels=64, in_index=3, channels=16,
                     num_convs=1, concat_input=False, dropout_ratio=0.0, num_classes=19,
                     align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False)),
    auxiliary_head=None"""
OWN_HEADS = """
    decode_head=dict(in_channels=64), auxiliary_head=dict(in_channels=32)"""


def write_pair(root: Path, stock: bool = True, name: str = 'tiny_uda') -> Tuple[Path, Path]:
    """Write ``root/NAME.py`` and ``root/NAME.pth``, a UDASegmentor checkpoint as training
    saves it (``state_dict`` and ``meta``), of weights drawn with seed 0.

    The test dataset points at ``root/data/target`` (not created here)."""
    config = root / f'{name}.py'
    config.write_text(CONFIG.format(repo=REPO, root=root / 'data', palette=PALETTE,
                                    heads=STOCK_HEADS if stock else OWN_HEADS))
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    set_batchnorm_statistics(model.segmentor)
    checkpoint = root / f'{name}.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(iter=1, seed=0, cfg=config.read_text())), checkpoint)
    return config, checkpoint


def set_batchnorm_statistics(segmentor: torch.nn.Module) -> None:
    """BatchNorm statistics of the segmentor's features on random inputs (a freshly built
    model's mean 0 / variance 1 make its prediction one class everywhere)."""
    layers = [m for m in segmentor.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average
    segmentor.train()
    with torch.no_grad():
        for _ in range(2):
            segmentor(torch.randn(2, 3, 32, 64), mode='tensor')
    for layer in layers:
        layer.momentum = 0.1
    segmentor.eval()


def write_images(folder: Path, sizes: List[Tuple[int, int]], seed: int = 0) -> List[Path]:
    """Random RGB PNGs ``img{i}.png`` of the given (height, width) sizes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i, (h, w) in enumerate(sizes):
        path = folder / f'img{i}.png'
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def load_uda_model(config: Path, checkpoint: Path) -> torch.nn.Module:
    """The UDASegmentor of ``config`` with the weights of ``checkpoint``, in eval mode."""
    model = MODELS.build(Config.fromfile(str(config)).model)
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    model.load_state_dict(state, strict=True)
    return model.eval()


def uda_prediction(config: Path, checkpoint: Path, image: Path) -> np.ndarray:
    """The UDA model's label map of ``image``, through the config's test pipeline (without
    label loading) and ``UDASegmentor.test_step``."""
    cfg = Config.fromfile(str(config))
    model = load_uda_model(config, checkpoint)
    pipeline = Compose([step for step in cfg.test_dataloader.dataset.pipeline
                        if 'Annotations' not in step['type']])
    packed = pipeline(dict(img_path=str(image)))
    with torch.no_grad():
        sample = model.test_step(dict(inputs=[packed['inputs']],
                                      data_samples=[packed['data_samples']]))[0]
    return sample.pred_sem_seg.data[0].numpy()
