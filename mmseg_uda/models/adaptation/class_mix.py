"""ClassMix and the strong augmentation of DACS (Tranheden et al., WACV 2021), as functions.

The mixing follows DACS's ``transformmasks.generate_class_mask`` / ``transformsgpu.oneMix`` and
DAFormer's ``mmseg/models/utils/dacs_transforms.py`` (Hoyer et al., CVPR 2022): half of the
classes present in a source label map (rounded up; the ignore label counts as a class, as in
both) are pasted with their pixels onto a target image, labels and pixel weights alike. The
mixed image then gets colour jitter and Gaussian blur. Both references use kornia 0.5 for these
two; they are written here in plain torch with kornia 0.5's definitions (``ColorJitter``:
brightness ``+ (b - 1)``, contrast ``* c``, saturation and hue in HSV, in a random order;
``GaussianBlur2d`` with reflect padding), so no kornia is needed.

All random draws use torch's global generator (seeded by mmengine's ``randomness``).
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F


def class_mix_masks(labels: torch.Tensor) -> torch.Tensor:
    """ClassMix masks: for each label map, the pixels of half of its classes.

    For each image, ``n`` = the number of distinct values in its label map (the ignore label
    included) and ``(n + n % 2) // 2`` of them are drawn without replacement, as in DACS's
    ``trainUDA.py``. DAFormer draws from the classes of the whole batch
    (``torch.unique(labels)`` inside its per-image loop); here, as the DACS paper and code
    describe, each image's own classes are used.

    Args:
        labels (LongTensor): (N, H, W) source label maps.

    Returns:
        Tensor: (N, 1, H, W) float masks, 1 where the source pixel is pasted.
    """
    masks = []
    for label in labels:
        classes = torch.unique(label)
        count = classes.numel()
        chosen = classes[torch.randperm(count, device=classes.device)[:(count + count % 2) // 2]]
        masks.append(torch.isin(label, chosen)[None])
    return torch.stack(masks).float()


def one_mix(mask: torch.Tensor, foreground: torch.Tensor,
            background: torch.Tensor) -> torch.Tensor:
    """``mask * foreground + (1 - mask) * background``, the mask broadcast over channels.

    Args:
        mask (Tensor): (N, 1, H, W) masks in {0, 1}.
        foreground (Tensor): (N, C, H, W) or (N, H, W), taken where the mask is 1.
        background (Tensor): Same shape as ``foreground``, taken where the mask is 0.

    Returns:
        Tensor: Same shape and dtype as ``foreground``.
    """
    if foreground.shape != background.shape:
        raise ValueError(f'one_mix: the two inputs differ in shape, {tuple(foreground.shape)} '
                         f'and {tuple(background.shape)}')
    m = mask if foreground.dim() == 4 else mask[:, 0]
    if foreground.dtype.is_floating_point:
        return m * foreground + (1 - m) * background
    return torch.where(m.bool(), foreground, background)


def rgb_to_hsv(image: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, 1] to HSV, hue in radians [0, 2π), as kornia 0.5's."""
    maxc, argmax = image.max(1)
    minc = image.min(1)[0]
    delta = maxc - minc
    sat = delta / (maxc + eps)
    delta_safe = torch.where(delta == 0, torch.ones_like(delta), delta)
    r, g, b = image.unbind(1)
    rc, gc, bc = (maxc - r) / delta_safe, (maxc - g) / delta_safe, (maxc - b) / delta_safe
    hue = torch.where(argmax == 0, bc - gc, torch.where(argmax == 1, 2.0 + rc - bc,
                                                        4.0 + gc - rc))
    hue = torch.where(delta == 0, torch.zeros_like(hue), hue)
    hue = (hue / 6.0) % 1.0 * 2 * math.pi
    return torch.stack((hue, sat, maxc), 1)


def hsv_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_hsv`."""
    hue, sat, val = image.unbind(1)
    hue = hue / (2 * math.pi) * 6.0
    sector = torch.floor(hue) % 6
    frac = hue - torch.floor(hue)
    p, q, t = val * (1 - sat), val * (1 - frac * sat), val * (1 - (1 - frac) * sat)
    table = torch.stack((
        torch.stack((val, q, p, p, t, val)),
        torch.stack((t, val, val, q, p, p)),
        torch.stack((p, p, t, val, val, q)),
    ))  # (3, 6, N, H, W): channel, sector
    index = sector.long()[None, None].expand(3, 1, *sector.shape)
    return table.gather(1, index)[:, 0].permute(1, 0, 2, 3)


def color_jitter(image: torch.Tensor, strength: float) -> torch.Tensor:
    """kornia 0.5's ``ColorJitter(brightness=s, contrast=s, saturation=s, hue=s)`` on one or
    more RGB images in [0, 1], parameters drawn per image.

    Brightness adds ``b - 1``, contrast multiplies by ``c`` (b, c, and the saturation factor
    uniform in [max(0, 1 - s), 1 + s]), saturation scales S and hue shifts H by ``2π h``
    (h uniform in [-s, s]) in HSV; each result is clamped to [0, 1]; the four are applied in a
    random order.

    Args:
        image (Tensor): (N, 3, H, W) RGB in [0, 1].
        strength (float): s.

    Returns:
        Tensor: The jittered images.
    """
    out = []
    low = max(0.0, 1.0 - strength)
    for img in image.split(1):
        factors = torch.rand(3) * (1 + strength - low) + low
        hue = (torch.rand(()) * 2 - 1) * strength
        for op in torch.randperm(4).tolist():
            if op == 0:
                img = (img + (factors[0] - 1)).clamp(0, 1)
            elif op == 1:
                img = (img * factors[1]).clamp(0, 1)
            else:
                hsv = rgb_to_hsv(img)
                if op == 2:
                    hsv = torch.stack((hsv[:, 0], (hsv[:, 1] * factors[2]).clamp(0, 1),
                                       hsv[:, 2]), 1)
                else:
                    hsv = torch.stack(((hsv[:, 0] + hue * 2 * math.pi) % (2 * math.pi),
                                       hsv[:, 1], hsv[:, 2]), 1)
                img = hsv_to_rgb(hsv).clamp(0, 1)
        out.append(img)
    return torch.cat(out)


def blur_kernel_size(side: int) -> int:
    """DACS's kernel size for an image side: about a tenth of it, odd."""
    tenth = math.ceil(0.1 * side)
    return int(math.floor(tenth - 0.5 + tenth % 2))


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """kornia's ``GaussianBlur2d`` (reflect padding) with DACS's kernel size
    (:func:`blur_kernel_size` of each side).

    Args:
        image (Tensor): (N, C, H, W).
        sigma (float): Standard deviation, the same along both axes.

    Returns:
        Tensor: The blurred images, same shape.
    """
    out = image
    for axis, side in ((2, image.shape[2]), (3, image.shape[3])):
        size = blur_kernel_size(side)
        if size < 2:
            continue
        x = torch.arange(size, dtype=image.dtype, device=image.device) - size // 2
        if size % 2 == 0:
            x = x + 0.5
        kernel = torch.exp(-x ** 2 / (2 * sigma ** 2))
        kernel = kernel / kernel.sum()
        shape = (1, 1, size, 1) if axis == 2 else (1, 1, 1, size)
        pad = ((0, 0, size // 2, (size - 1) // 2) if axis == 2 else
               (size // 2, (size - 1) // 2, 0, 0))
        channels = out.shape[1]
        out = F.conv2d(F.pad(out, pad, mode='reflect'),
                       kernel.view(shape).expand(channels, *shape[1:]), groups=channels)
    return out


def strong_transform(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
                     jitter_strength: float = 0.2, jitter_probability: float = 0.2,
                     blur: bool = True, rgb: bool = True) -> torch.Tensor:
    """DACS's strong augmentation of the mixed images: colour jitter, then Gaussian blur.

    As DAFormer's ``dacs.py`` draws them, one uniform number per batch decides the jitter (it
    is applied when the number exceeds ``jitter_probability``, i.e. with probability
    ``1 - p``) and one the blur (applied above 0.5); the jitter's factors and the blur's sigma
    (uniform in [0.15, 1.15]) are drawn per image. The jitter works on de-normalised images
    (``x * std + mean``, divided by 255) and normalises them back.

    Args:
        images (Tensor): (N, 3, H, W) normalised images (the data preprocessor's output).
        mean (Tensor): The preprocessor's mean, (3, 1, 1), 0-255 scale.
        std (Tensor): The preprocessor's std, (3, 1, 1).
        jitter_strength (float): s of :func:`color_jitter`.
        jitter_probability (float): p above.
        blur (bool): Whether to blur at all.
        rgb (bool): Whether the channels are RGB (else BGR, reversed for the jitter).

    Returns:
        Tensor: The augmented images, normalised.
    """
    apply_jitter = float(torch.rand(())) > jitter_probability
    apply_blur = blur and float(torch.rand(())) > 0.5
    out = images
    if apply_jitter:
        plain = (out * std + mean) / 255.0
        plain = plain if rgb else plain.flip(1)
        plain = color_jitter(plain, jitter_strength)
        plain = plain if rgb else plain.flip(1)
        out = (plain * 255.0 - mean) / std
    if apply_blur:
        out = torch.cat([
            gaussian_blur(img, float(torch.empty(()).uniform_(0.15, 1.15)))
            for img in out.split(1)
        ])
    return out


def confidence_weight(logits: torch.Tensor, threshold: float,
                      ignore_top: int = 0, ignore_bottom: int = 0
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Pseudo labels of teacher logits and DACS's quality weight.

    ``pseudo_label = argmax softmax``; the weight of every target pixel is the share of the
    batch's pixels whose top probability is at least ``threshold`` (DAFormer's ``dacs.py``:
    ``pseudo_weight = sum(pseudo_prob >= T) / size``), zeroed in the top and bottom rows it
    leaves out (``pseudo_weight_ignore_top/bottom``).

    Args:
        logits (Tensor): (N, C, H, W) teacher logits.
        threshold (float): T, 0.968 in DACS and DAFormer.
        ignore_top (int): Rows at the top whose weight is 0.
        ignore_bottom (int): Rows at the bottom whose weight is 0.

    Returns:
        tuple[LongTensor, Tensor]: (N, H, W) labels and (N, H, W) weights.
    """
    prob, label = torch.softmax(logits.detach(), dim=1).max(1)
    weight = torch.full_like(prob, float((prob >= threshold).float().mean()))
    if ignore_top > 0:
        weight[:, :ignore_top] = 0
    if ignore_bottom > 0:
        weight[:, -ignore_bottom:] = 0
    return label, weight


def check_same_size(what: str, shapes: Sequence[Tuple[int, ...]],
                    names: Optional[Sequence[str]] = None) -> None:
    """Raise ``ValueError`` naming both sizes when the images to mix differ in size."""
    names = names or ('source', 'target')
    sizes = [tuple(int(s) for s in shape[-2:]) for shape in shapes]
    if len(set(sizes)) > 1:
        listed = ', '.join(f'{n} {s}' for n, s in zip(names, sizes))
        raise ValueError(f'{what} mixes images of one size, got {listed}: crop both domains to '
                         'the same size in their train pipelines (RandomCrop crop_size)')
