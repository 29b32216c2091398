"""t-SNE of source and target patch representations F (Tsai et al., ICCV 2019, Figure 4).

    python tools/analysis/patch_tsne.py --out work_dirs/analysis/patch_tsne.png \
        --model NAME CONFIG CHECKPOINT [--model NAME CONFIG CHECKPOINT ...] \
        [--adaptation patch] [--num-images 40] [--max-patches 1500] [--perplexity 30] \
        [--seed 0]

Every ``--model`` is a trained UDA model with a ``PatchAlignment`` adaptation (its patch-cluster
head H maps the segmentation output to F = softmax over the K modes at every patch). Give two
to compare, e.g. patch alignment against the ``Ls + Ld`` ablation (H trained, no adversarial
loss), as the paper's figure does. For each model, the first ``--num-images`` images of the
config's source training set (``train_dataloader.dataset.source``) and target training set
(``.target``) go through the model with their training pipelines; up to ``--max-patches``
patches per domain are sampled, embedded together with scikit-learn's t-SNE and drawn side by
side, source in blue and target in red, into one PNG.

As a number to go with the picture, the tool prints the domain mixing of F: for each patch,
the fraction of its 10 nearest neighbours (in F space, other patches of both domains) that come
from the other domain, averaged over both domains and divided by the fraction expected if the
domains were perfectly mixed (1.0 = indistinguishable, 0.0 = fully separated).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint, set_random_seed
from mmengine.utils import track_iter_progress
from torch.utils.data import DataLoader

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_uda  # noqa: E402,F401  (registers mmseg_uda's datasets and models)
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg_uda.models.adaptation.patch_alignment import PatchAlignment  # noqa: E402
from mmseg_uda.utils import load_tool_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', nargs=3, action='append', required=True,
                        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                        help='a trained model with a PatchAlignment adaptation (repeatable)')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--adaptation', default=None,
                        help='name of the PatchAlignment adaptation (default: the only one)')
    parser.add_argument('--num-images', type=int, default=40, help='images per domain')
    parser.add_argument('--max-patches', type=int, default=1500, help='patches per domain')
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def patch_adaptation(model, name: str = None) -> Tuple[str, PatchAlignment]:
    """The model's PatchAlignment adaptation (by name, or the only one)."""
    found = {k: v for k, v in model.generator.adaptations.items()
             if isinstance(v, PatchAlignment)}
    if name is not None:
        if name not in found:
            raise KeyError(f'--adaptation {name!r}: the model has PatchAlignment adaptations '
                           f'{sorted(found)}')
        return name, found[name]
    if len(found) != 1:
        raise ValueError(f'the model needs exactly one PatchAlignment adaptation, has '
                         f'{sorted(found)} (pass --adaptation NAME)')
    return next(iter(found.items()))


def load_model(config: str, checkpoint: str) -> Tuple[Config, torch.nn.Module]:
    """Build a UDA model from its config and load a training checkpoint into it."""
    cfg = load_tool_config(config)
    if cfg.model.get('type') != 'UDASegmentor':
        raise ValueError(f'{config}: model.type must be UDASegmentor, got {cfg.model.get("type")}')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return cfg, model.eval()


@torch.no_grad()
def patch_features(model, patch: PatchAlignment, dataset, num_images: int,
                   batch_size: int) -> np.ndarray:
    """F = softmax(H(segmentation output)) of every patch of the first ``num_images`` images.

    Returns:
        ndarray: (num_patches, K) float32.
    """
    subset = torch.utils.data.Subset(dataset, range(min(num_images, len(dataset))))
    loader = DataLoader(subset, batch_size=batch_size, shuffle=False, collate_fn=pseudo_collate)
    feats: List[np.ndarray] = []
    for batch in track_iter_progress((loader, len(loader))):
        data = model.data_preprocessor(batch, False)
        outputs = model.generator.segmentor_outputs(data['inputs'], need_aux=False)
        # the module's own forward: the target side gives F without Γ(Y) or a loss
        _, reps = patch(outputs, data['data_samples'], 'target')
        probs = reps[patch.rep_key]  # (N, K, gh, gw)
        feats.append(probs.permute(0, 2, 3, 1).reshape(-1, probs.shape[1]).numpy())
    return np.concatenate(feats).astype(np.float32)


def domain_mixing(src: np.ndarray, tgt: np.ndarray, k: int = 10) -> float:
    """Other-domain fraction among the k nearest neighbours, relative to perfect mixing."""
    from sklearn.neighbors import NearestNeighbors
    x = np.concatenate([src, tgt])
    domain = np.r_[np.zeros(len(src)), np.ones(len(tgt))]
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    other = (domain[idx[:, 1:]] != domain[:, None]).mean(axis=1)
    ratios = []
    for d, own, n_other in ((0, len(src), len(tgt)), (1, len(tgt), len(src))):
        expected = n_other / (own + n_other - 1)
        ratios.append(other[domain == d].mean() / expected)
    return float(np.mean(ratios))


def sample(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return x if len(x) <= n else x[rng.choice(len(x), n, replace=False)]


def embed(models: Sequence[Tuple[str, str, str]], args: argparse.Namespace
          ) -> Dict[str, Dict[str, np.ndarray]]:
    """Per model: sampled source/target F, their 2-D t-SNE embedding and the domain mixing."""
    from sklearn.manifold import TSNE
    results = {}
    for name, config, checkpoint in models:
        cfg, model = load_model(config, checkpoint)
        _, patch = patch_adaptation(model, args.adaptation)
        train = cfg.train_dataloader.dataset
        if train.get('type') != 'UDADataset':
            raise ValueError(f'{config}: train_dataloader.dataset must be a UDADataset')
        rng = np.random.default_rng(args.seed)
        set_random_seed(args.seed)  # the pipelines' random flips: the same for every model
        feats = {domain: sample(patch_features(model, patch, DATASETS.build(train[domain]),
                                               args.num_images, args.batch_size),
                                args.max_patches, rng)
                 for domain in ('source', 'target')}
        x = np.concatenate([feats['source'], feats['target']])
        perplexity = min(args.perplexity, (len(x) - 1) / 3)
        xy = TSNE(n_components=2, perplexity=perplexity, init='pca',
                  random_state=args.seed).fit_transform(x)
        mixing = domain_mixing(feats['source'], feats['target'])
        results[name] = dict(source=xy[:len(feats['source'])], target=xy[len(feats['source']):],
                             mixing=mixing)
        print(f'{name}: {len(feats["source"])} source / {len(feats["target"])} target patches, '
              f'K = {x.shape[1]}, domain mixing of F (10-NN, 1 = perfectly mixed): '
              f'{mixing:.3f}', flush=True)
    return results


def plot(results: Dict[str, Dict[str, np.ndarray]], out: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 5), squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items()):
        ax.scatter(*r['source'].T, s=3, c='tab:blue', alpha=0.5, label='source')
        ax.scatter(*r['target'].T, s=3, c='tab:red', alpha=0.5, label='target')
        ax.set_title(f'{name}\ndomain mixing {r["mixing"]:.2f}')
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(loc='upper right', markerscale=4)
    fig.suptitle('t-SNE of patch representations F (softmax over the K modes)')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    plot(embed(args.model, args), args.out)
    print(f'written {args.out}')


if __name__ == '__main__':
    main()
