"""Train the patch-cluster head H of patch alignment alone, on a frozen segmentor.

Tsai et al. (ICCV 2019) train H with Ld = CE(H(O_s), Γ(Y_s)) jointly with the segmentor for
the 140k iterations after their source-only warm-up. :func:`fit_patch_heads` trains only H, on
the outputs of a trained segmentor that it leaves untouched. Two users:

- ``tools/fit_patch_head.py``: H fitted on a source-only checkpoint before an adaptation that is
  too short for H to learn the modes inside it (the CamVid protocol of
  ``benchmarks/camvid_table.py``);
- ``benchmarks/patch_head_probe.py``: how well each head design can predict the modes.
"""
from typing import Dict, Iterable, List

import torch
from mmengine.utils import ProgressBar

from .models.adaptation import PatchAlignment


def patch_adaptations(model: torch.nn.Module) -> Dict[str, PatchAlignment]:
    """The :class:`PatchAlignment` adaptations of a ``UDASegmentor``, by name."""
    return {name: ad for name, ad in model.generator.adaptations.items()
            if isinstance(ad, PatchAlignment)}


def fit_patch_heads(model: torch.nn.Module, batches: Iterable[dict], iters: int, lr: float,
                    log_interval: int = 100, progress: bool = True) -> List[Dict[str, float]]:
    """Train the patch heads of ``model`` on Ld alone, its segmentor frozen.

    The model is put in eval mode and the segmentor runs without gradients, so none of its
    weights or buffers change; with frozen BatchNorm and no dropout its outputs are those H sees
    in training. Ld is the adaptation's own (its forward on the source: Γ targets,
    ``min_labelled_fraction``, :func:`patch_cluster_loss`), without λd; Adam at ``lr``.

    Args:
        model (UDASegmentor): A model with at least one :class:`PatchAlignment`.
        batches (Iterable[dict]): Source batches (``inputs``, ``data_samples`` with
            ``gt_sem_seg``); re-iterated when exhausted before ``iters`` steps.
        iters (int): Optimisation steps.
        lr (float): Adam learning rate.
        log_interval (int): Steps per entry of the returned log.
        progress (bool): Whether to show a progress bar.

    Returns:
        list[dict]: ``{'iter': i, '<name>.loss_cluster': mean Ld over the entry's steps}``
        every ``log_interval`` steps and at the last.

    Raises:
        ValueError: when the model has no PatchAlignment.
    """
    heads = patch_adaptations(model)
    if not heads:
        raise ValueError('the model has no PatchAlignment adaptation (model.adaptations)')
    generator = model.generator
    optimizer = torch.optim.Adam([p for ad in heads.values() for p in ad.head.parameters()],
                                 lr=lr)
    model.eval()
    log: List[Dict[str, float]] = []
    running, count = {name: 0.0 for name in heads}, 0
    bar = ProgressBar(iters) if progress else None
    step, batch_iter = 0, iter(batches)
    while step < iters:
        try:
            batch = next(batch_iter)
        except StopIteration:
            batch_iter = iter(batches)
            continue
        data = model.data_preprocessor(batch, True)
        with torch.no_grad():
            outputs = generator.segmentor_outputs(data['inputs'], need_aux=False)
        total = 0.
        for name, adaptation in heads.items():
            losses, _ = adaptation(outputs, data['data_samples'], 'source')
            loss = losses['loss_cluster'] / adaptation.loss_weight_cluster
            running[name] += loss.item()
            total = total + loss
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        step, count = step + 1, count + 1
        if bar is not None:
            bar.update()
        if step % log_interval == 0 or step == iters:
            log.append({'iter': step, **{f'{name}.loss_cluster': running[name] / count
                                         for name in heads}})
            running, count = {name: 0.0 for name in heads}, 0
    return log
