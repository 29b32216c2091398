"""Dilated VGG-16 front-end (Yu & Koltun), the base network of FCNs in the Wild."""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig

#: (name, number of 3x3 convolutions, channels, dilation, followed by a 2x2/2 max-pool).
CONV_STAGES: Tuple[Tuple[str, int, int, int, bool], ...] = (
    ('conv1', 2, 64, 1, True),
    ('conv2', 2, 128, 1, True),
    ('conv3', 3, 256, 1, True),
    ('conv4', 3, 512, 1, False),  # pool4 removed
    ('conv5', 3, 512, 2, False),  # pool5 removed, dilated by 2
)
#: Names of all stages, in order; ``out_indices`` may name them or index this tuple.
STAGE_NAMES: Tuple[str, ...] = tuple(s[0] for s in CONV_STAGES) + ('fc6', 'fc7')
#: The 13 convolutions, in order (the Caffe layer names, also this module's attribute names).
CONV_NAMES: Tuple[str, ...] = tuple(f'{name}_{i + 1}' for name, n, _, _, _ in CONV_STAGES
                                    for i in range(n))
FC6_KERNEL, FC6_DILATION = 7, 4

#: Indices of the convolutions in torchvision's ``vgg16().features``.
TORCHVISION_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
#: ImageNet mean/std (RGB, 0-255) of torchvision and of the configs' data preprocessor.
IMAGENET_MEAN_RGB = (123.675, 116.28, 103.53)
IMAGENET_STD_RGB = (58.395, 57.12, 57.375)
#: Mean pixel (BGR, 0-255) subtracted from the input of the Caffe VGG-16 model.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
#: Keys of the fc8 classifier, dropped by the converter (1000 ImageNet classes).
DROPPED_KEYS = dict(torchvision=('classifier.6.weight', 'classifier.6.bias'),
                    caffe=('fc8.weight', 'fc8.bias'))
FORMATS = ('auto', 'torchvision', 'caffe')


def _conv_shapes(fc_channels: Optional[int] = None) -> Dict[str, Tuple[int, ...]]:
    """Weight shape of each convolution of ``DilatedVGG16`` (fc6/fc7 only with fc_channels)."""
    shapes, in_ch = {}, 3
    for name, n, ch, _, _ in CONV_STAGES:
        for i in range(n):
            shapes[f'{name}_{i + 1}'] = (ch, in_ch, 3, 3)
            in_ch = ch
    if fc_channels is not None:
        shapes['fc6'] = (fc_channels, in_ch, FC6_KERNEL, FC6_KERNEL)
        shapes['fc7'] = (fc_channels, fc_channels, 1, 1)
    return shapes


@MODELS.register_module()
class DilatedVGG16(BaseModule):
    """Dilated VGG-16 "front-end" with fc6/fc7 as convolutions, output stride 8.

    Yu & Koltun, "Multi-Scale Context Aggregation by Dilated Convolutions", ICLR 2016, Sec. 4
    (the front-end), used as the base network of Hoffman, Wang, Yu, Darrell, "FCNs in the Wild:
    Pixel-level Adversarial and Constraint-based Adaptation", 2016. Starting from VGG-16
    (Simonyan & Zisserman, ICLR 2015): conv1_1..conv5_3 (3x3, ReLU); pool1-pool3 kept (2x2 max,
    stride 2); pool4 and pool5 removed, conv5_x dilated by 2; fc6 becomes a 7x7 convolution
    with dilation 4 and fc7 a 1x1 convolution, each followed by ReLU and dropout. The class
    scores (fc8, a 1x1 convolution) and the 8x bilinear upsampling are the decode head's and
    the ``EncoderDecoder``'s job (stock ``FCNHead`` with ``num_convs=0``).

    Difference from the Caffe original: the front-end there has no padding in any layer and
    takes a reflection-padded input (the output covers the central region). Here every
    convolution uses "same" zero padding, ``dilation * (kernel - 1) / 2``, and the pools round
    up (Caffe's ceil mode), so an ``H x W`` input gives ``ceil(H/8) x ceil(W/8)`` features
    aligned with the input, as MMSeg's segmentors expect. The weights are the same.

    Stages and their outputs (``out_indices`` names a stage or indexes ``STAGE_NAMES``):

    ======  ========  ======  ==================================================
    index   name      stride  output
    ======  ========  ======  ==================================================
    0       conv1     2       pool1 (64 channels)
    1       conv2     4       pool2 (128)
    2       conv3     8       pool3 (256)
    3       conv4     8       relu4_3 (512)
    4       conv5     8       relu5_3 (512)
    5       fc6       8       drop6 (``fc_channels``)
    6       fc7       8       drop7 (``fc_channels``), the representation aligned by GA
    ======  ========  ======  ==================================================

    As in Caffe, where drop6/drop7 work in place, the fc6/fc7 outputs are taken after dropout.

    Args:
        fc_channels (int): Channels of fc6 and fc7 (4096 in VGG-16; fc6 then has ~103M
            parameters, so tests use small values).
        dropout (float): Dropout probability after fc6 and after fc7, in [0, 1).
        out_indices (Sequence[int | str]): Stages whose outputs are returned, in increasing
            stage order, by name or index (negative indices count from fc7). The default ends
            with fc7, which ``GlobalFeatureAlignment(in_index=-1)`` and the decode head read.
            Stages after the last one listed are not computed.
        frozen_stages (int): Number of leading stages whose parameters are frozen and which stay
            in eval mode (a frozen fc6/fc7 stage drops no units); -1 or 0 freezes none.
        init_cfg (dict | list[dict], optional): Initialisation config (default: Kaiming for
            the convolutions); typically ``dict(type='Pretrained', checkpoint=...)`` with a file
            written by ``tools/model_converters/vgg16_to_mmseg.py`` (keys without prefix).
    """

    def __init__(self,
                 fc_channels: int = 4096,
                 dropout: float = 0.5,
                 out_indices: Sequence[Union[int, str]] = ('conv4', 'conv5', 'fc7'),
                 frozen_stages: int = -1,
                 init_cfg: OptMultiConfig = dict(type='Kaiming', layer='Conv2d')) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(fc_channels, bool) or not isinstance(fc_channels, int) or fc_channels < 1:
            raise ValueError(f'fc_channels must be a positive int, got {fc_channels!r}')
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout must be in [0, 1), got {dropout!r}')
        if not isinstance(frozen_stages, int) or not -1 <= frozen_stages <= len(STAGE_NAMES):
            raise ValueError(f'frozen_stages must be an int in [-1, {len(STAGE_NAMES)}], got '
                             f'{frozen_stages!r}')
        self.fc_channels = fc_channels
        self.dropout = dropout
        self.out_indices = self._parse_out_indices(out_indices)
        self.frozen_stages = frozen_stages

        in_ch = 3
        self.stage_layers: Dict[str, List[str]] = {}
        self.stage_channels: List[int] = []
        self.pooled = {name: pool for name, *_, pool in CONV_STAGES}
        for name, n, ch, dilation, _ in CONV_STAGES:
            self.stage_layers[name] = []
            for i in range(n):
                layer = f'{name}_{i + 1}'
                self.add_module(layer, nn.Conv2d(in_ch, ch, 3, padding=dilation,
                                                 dilation=dilation))
                self.stage_layers[name].append(layer)
                in_ch = ch
            self.stage_channels.append(ch)
        self.fc6 = nn.Conv2d(in_ch, fc_channels, FC6_KERNEL,
                             padding=FC6_DILATION * (FC6_KERNEL - 1) // 2, dilation=FC6_DILATION)
        self.drop6 = nn.Dropout(dropout)
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.drop7 = nn.Dropout(dropout)
        self.stage_layers['fc6'] = ['fc6', 'drop6']
        self.stage_layers['fc7'] = ['fc7', 'drop7']
        self.stage_channels += [fc_channels, fc_channels]
        #: Channels of each returned feature level.
        self.out_channels = tuple(self.stage_channels[i] for i in self.out_indices)
        self._freeze_stages()

    @staticmethod
    def _parse_out_indices(out_indices: Sequence[Union[int, str]]) -> Tuple[int, ...]:
        """Stage indices in [0, 7) from names or (possibly negative) indices."""
        if isinstance(out_indices, (str, int)):
            out_indices = (out_indices, )
        if len(out_indices) == 0:
            raise ValueError('DilatedVGG16 needs at least one out_index')
        parsed = []
        for idx in out_indices:
            if isinstance(idx, str) and idx in STAGE_NAMES:
                parsed.append(STAGE_NAMES.index(idx))
            elif (isinstance(idx, int) and not isinstance(idx, bool)
                  and -len(STAGE_NAMES) <= idx < len(STAGE_NAMES)):
                parsed.append(idx % len(STAGE_NAMES))
            else:
                raise ValueError(f'out_indices entry {idx!r} is neither a stage name of '
                                 f'{STAGE_NAMES} nor an index in [-7, 7)')
        if any(b <= a for a, b in zip(parsed, parsed[1:])):
            raise ValueError(f'out_indices must be in increasing stage order without repeats, '
                             f'got {tuple(out_indices)!r}')
        return tuple(parsed)

    def _freeze_stages(self) -> None:
        for name in STAGE_NAMES[:max(self.frozen_stages, 0)]:
            for layer in self.stage_layers[name]:
                module = getattr(self, layer)
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'DilatedVGG16':
        """Set the training mode, keeping the frozen stages in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Features of the stages in ``out_indices``, each of shape (N, C, ceil(H/s), ceil(W/s))."""
        outs = []
        for index, name in enumerate(STAGE_NAMES[:self.out_indices[-1] + 1]):
            if name in ('fc6', 'fc7'):
                fc, drop = self.stage_layers[name]
                x = getattr(self, drop)(F.relu(getattr(self, fc)(x), inplace=True))
            else:
                for layer in self.stage_layers[name]:
                    x = F.relu(getattr(self, layer)(x), inplace=True)
                if self.pooled[name]:
                    x = F.max_pool2d(x, 2, 2, ceil_mode=True)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)


# ---------------------------------------------------------------- weight conversion
def _source_names(fmt: str) -> Dict[str, str]:
    """Target key of ``DilatedVGG16`` -> source key, for a layout ``'torchvision'``/``'caffe'``."""
    if fmt == 'torchvision':
        layers = dict(zip(CONV_NAMES, (f'features.{i}' for i in TORCHVISION_CONV_INDICES)))
        layers.update(fc6='classifier.0', fc7='classifier.3')
    else:
        layers = {name: name for name in CONV_NAMES + ('fc6', 'fc7')}
    return {f'{dst}.{p}': f'{src}.{p}' for dst, src in layers.items() for p in ('weight', 'bias')}


def detect_vgg16_format(state_dict: Mapping[str, torch.Tensor]) -> str:
    """``'torchvision'`` (``features.0.weight``...) or ``'caffe'`` (``conv1_1.weight``...)."""
    if 'features.0.weight' in state_dict:
        return 'torchvision'
    if 'conv1_1.weight' in state_dict:
        return 'caffe'
    sample = sorted(state_dict)[:6]
    raise ValueError('not a VGG-16 state dict: found neither torchvision\'s '
                     f"'features.0.weight' nor Caffe's 'conv1_1.weight' (first keys: {sample})")


def caffe_conv1_to_rgb(
        weight: torch.Tensor, bias: torch.Tensor,
        mean_rgb: Sequence[float] = IMAGENET_MEAN_RGB, std_rgb: Sequence[float] = IMAGENET_STD_RGB,
        caffe_mean_bgr: Sequence[float] = CAFFE_MEAN_BGR) -> Tuple[torch.Tensor, torch.Tensor]:
    """Rewrite Caffe's conv1_1 (BGR, 0-255 minus the mean pixel) for RGB, mean/std input.

    For pixel values ``p`` (RGB, 0-255), our input is ``x_c = (p_c - mean_c) / std_c`` and
    Caffe's is ``p_c - caffe_mean_c`` in BGR order, so ``p_c - caffe_mean_c = std_c * x_c +
    (mean_c - caffe_mean_c)``: the input channels are flipped and scaled by ``std_c``, and the
    mean difference is folded into the bias. This is exact wherever the 3x3 window lies inside
    the image. At the one-pixel border, a zero-padded tap stands for the pixel ``mean`` here but
    ``caffe_mean`` in Caffe, so the result there differs by ``W . (mean - caffe_mean)`` over the
    padded taps (|mean - caffe_mean| <= 0.5 grey levels with the default means); the unpadded
    Caffe front-end never sees that border.
    """
    w_rgb = weight.flip(1)
    std = weight.new_tensor(std_rgb).view(1, 3, 1, 1)
    shift = weight.new_tensor(mean_rgb) - weight.new_tensor(caffe_mean_bgr).flip(0)
    return w_rgb * std, bias + (w_rgb * shift.view(1, 3, 1, 1)).sum(dim=(1, 2, 3))


def convert_vgg16_state_dict(state_dict: Mapping[str, torch.Tensor], fmt: str = 'auto',
                             **rgb_kwargs) -> Dict[str, torch.Tensor]:
    """Map a VGG-16 classification state dict onto ``DilatedVGG16``'s keys.

    Accepts torchvision's ``vgg16`` layout (``features.{0,2,...,28}``, ``classifier.0`` = fc6,
    ``classifier.3`` = fc7) or Caffe layer names (``conv1_1`` ... ``conv5_3``, ``fc6``,
    ``fc7``) as written by common Caffe-to-PyTorch conversions. fc8 (``classifier.6`` /
    ``fc8``) is dropped (``DROPPED_KEYS``). The fully-connected fc6 (``(F, 512*7*7)``, flattened
    in C, H, W order by both frameworks) becomes a ``(F, 512, 7, 7)`` convolution and fc7 a
    ``(F, F, 1, 1)`` one; already convolutional fc6/fc7 weights are taken as they are.

    Caffe VGG-16 expects BGR input in [0, 255] minus the mean pixel; conv1_1 is rewritten by
    :func:`caffe_conv1_to_rgb` (``rgb_kwargs`` are its mean/std arguments) so that it computes
    the same on the RGB, mean/std-normalised input of the configs. torchvision's weights already
    expect that input.

    Args:
        state_dict (Mapping[str, Tensor]): The source weights.
        fmt (str): ``'torchvision'``, ``'caffe'`` or ``'auto'`` (detected from the keys).

    Returns:
        dict[str, Tensor]: Keys of ``DilatedVGG16`` (no prefix), loadable with ``strict=True``
        into ``DilatedVGG16(fc_channels=F)``.
    """
    if fmt not in FORMATS:
        raise ValueError(f'fmt must be one of {FORMATS}, got {fmt!r}')
    if fmt == 'auto':
        fmt = detect_vgg16_format(state_dict)
    names = _source_names(fmt)
    expected = set(names.values())
    missing = sorted(expected - set(state_dict))
    unexpected = sorted(set(state_dict) - expected - set(DROPPED_KEYS[fmt]))
    if missing or unexpected:
        raise ValueError(f'{fmt} VGG-16 state dict does not match (vgg16_bn is not supported): '
                         f'missing keys {missing}, unexpected keys {unexpected}')

    out = {dst: state_dict[src].detach().clone() for dst, src in names.items()}
    fc = out['fc6.weight'].shape[0]
    shapes = _conv_shapes(fc)
    for layer, shape in shapes.items():
        src = names[f'{layer}.weight']
        weight = out[f'{layer}.weight']
        if layer in ('fc6', 'fc7') and weight.dim() == 2 and weight.numel() == torch.Size(
                shape).numel():
            weight = weight.reshape(shape)  # Linear (out, C*kh*kw) -> conv (out, C, kh, kw)
        if tuple(weight.shape) != shape:
            raise ValueError(f'{src}: expected a weight of shape {shape} for {layer} '
                             f'(fc channels {fc} from fc6), got {tuple(state_dict[src].shape)}')
        bias = out[f'{layer}.bias']
        if tuple(bias.shape) != shape[:1]:
            raise ValueError(f'{names[f"{layer}.bias"]}: expected a bias of shape {shape[:1]}, '
                             f'got {tuple(bias.shape)}')
        out[f'{layer}.weight'] = weight.contiguous()
    if fmt == 'caffe':
        w, b = out['conv1_1.weight'], out['conv1_1.bias']
        w32, b32 = caffe_conv1_to_rgb(w.double(), b.double(), **rgb_kwargs)
        out['conv1_1.weight'], out['conv1_1.bias'] = w32.to(w.dtype), b32.to(b.dtype)
    return out
