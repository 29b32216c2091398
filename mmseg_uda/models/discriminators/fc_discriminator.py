"""Per-location fully-connected discriminator of patch-level alignment."""
from typing import Sequence

from mmseg.registry import MODELS
from .feature_discriminator import FeatureDiscriminator


@MODELS.register_module()
class FCDiscriminator(FeatureDiscriminator):
    """Fully-connected discriminator applied at every location of a map of vectors.

    Tsai, Sohn, Schulter, Chandraker, "Domain Adaptation for Structured Output via
    Discriminative Patch Representations", ICCV 2019, Sec. 3.4 (trained with Eq. 4): D sees the K-dimensional
    softmax vectors of the patch representation F and consists of three fully-connected layers
    with {256, 512, 1} outputs, each but the last followed by a leaky ReLU (slope 0.2). Applied
    independently at every patch, the layers are 1x1 convolutions: this is
    :class:`FeatureDiscriminator` with the paper's widths and 1x1 kernels.

    Args:
        in_channels (int): Length of the input vectors (K, the number of patch modes).
        channels (Sequence[int]): Widths of the hidden layers.
        negative_slope (float): Leaky ReLU slope.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, in_channels: int, channels: Sequence[int] = (256, 512),
                 negative_slope: float = 0.2, init_cfg=None) -> None:
        super().__init__(in_channels, channels=channels, kernel_size=1, act='leaky_relu',
                         negative_slope=negative_slope, init_cfg=init_cfg)
