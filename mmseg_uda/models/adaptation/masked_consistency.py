"""Masked image consistency (MIC: Hoyer, Dai, Wang, Van Gool, CVPR 2023): the student predicts
the teacher's pseudo labels from target images with most of their blocks blanked out."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmseg.registry import MODELS
from .class_mix import strong_transform


def block_mask(shape: torch.Size, ratio: float, block_size: int,
               device: torch.device = None) -> torch.Tensor:
    """MIC's ``BlockMaskGenerator.generate_mask``: one uniform draw per block of
    ``block_size`` pixels (``round(H / block_size)`` x ``round(W / block_size)`` blocks), the
    block kept (1) when the draw exceeds ``ratio``, resized to the image by nearest neighbour.

    Args:
        shape: ``(N, C, H, W)`` of the images.
        ratio: Masked share of the blocks (in expectation), 0.7 in MIC.
        block_size: Block side in pixels, 64 in MIC.
        device: Device of the mask.

    Returns:
        Tensor: (N, 1, H, W) float masks, 1 where the image is kept.
    """
    n, _, height, width = shape
    grid = (n, 1, max(1, round(height / block_size)), max(1, round(width / block_size)))
    keep = (torch.rand(grid, device=device) > ratio).float()
    return F.interpolate(keep, size=(height, width), mode='nearest')


@MODELS.register_module()
class MaskedImageConsistency(BaseModule):
    """MIC's masked target images, in its final configs' mode ``separatetrgaug``.

    From ``seg/mmseg/models/uda/masking_consistency_module.py`` of lhoyer/MIC: the target images
    get the colour jitter and blur of DACS (fresh draws; the blur is not switched off by the
    host's ``blur``), then :func:`block_mask`; the student is trained on them towards the host's
    pseudo labels with the host's pixel weights (``mask_alpha='same'``,
    ``mask_pseudo_threshold='same'``: MIC shares DACS's teacher), the loss scaled by
    ``loss_weight`` (MIC's ``mask_lambda``, 1). Built and called by :class:`DACS`
    (``masked_consistency=dict(type='MaskedImageConsistency')``).

    Args:
        mask_ratio (float): Masked share of the blocks, in [0, 1); 0.7.
        block_size (int): Block side in pixels; 64.
        loss_weight (float): λ of the masked loss; 1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, mask_ratio: float = 0.7, block_size: int = 64,
                 loss_weight: float = 1.0, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= mask_ratio < 1:
            raise ValueError(f'MaskedImageConsistency mask_ratio must be in [0, 1), got '
                             f'{mask_ratio}')
        if not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f'MaskedImageConsistency block_size must be an integer >= 1, got '
                             f'{block_size!r}')
        if loss_weight <= 0:
            raise ValueError(f'MaskedImageConsistency loss_weight must be > 0, got '
                             f'{loss_weight}')
        self.mask_ratio = mask_ratio
        self.block_size = block_size
        self.loss_weight = loss_weight

    @torch.no_grad()
    def masked_images(self, images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
                      jitter_strength: float, jitter_probability: float,
                      rgb: bool = True) -> torch.Tensor:
        """Colour-augmented, block-masked copies of the (normalised) target images."""
        augmented = strong_transform(images, mean, std, jitter_strength, jitter_probability,
                                     blur=True, rgb=rgb)
        return augmented * block_mask(images.shape, self.mask_ratio, self.block_size,
                                      images.device)
