"""MMSegmentation-scheme names of the paper configs, and the alias files that carry them.

    python tools/misc/config_names.py CONFIG [CONFIG ...]   # print each config's scheme name
    python tools/misc/config_names.py --write               # write the aliases and the tables
    python tools/misc/config_names.py --check               # exit 1, naming each wrong file

Each paper config keeps its short name (``configs/patch_align/gta2cs.py``) and gets, beside it,
an alias named in MMSegmentation's scheme,
``{method}_{network}_{gpus}xb{batch}-{iterations}_{source}-{HxW}_{target}-{HxW}.py``, every part
read from the merged config (:func:`scheme_name`). The scheme's tokens are documented once, in
the "Config names" section of ``configs/README.md``.

An alias is two lines, a comment naming the paper row (:data:`ROWS`) and
``_base_ = ['./<short name>.py']``, so it merges to its target's config. ``--write`` writes
the aliases and the table of ``configs/README.md``; ``--check`` verifies that every paper config
has its alias, that each alias is exactly that file and named as its target derives, and that
``configs/README.md`` and the folder's README list it.
"""
import argparse
import ast
import fnmatch
import glob
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from mmseg_uda.utils import alias_target, segmentor_cfg  # noqa: E402

#: The folders of the paper configs.
PAPER_FOLDERS = ('source_only', 'output_space', 'patch_align', 'fcn_wild', 'pixel_level',
                 'self_training', 'fusion', 'dacs')
#: Configs of those folders without a scheme name: the CamVid CPU runs (no resize, so the
#: input size is the converted data's, not the config's; trained on CPU) and the SegFormer
#: example, which keeps the name of the MMSeg config it extends.
UNNAMED = ('camvid_*', 'segformer_*')

#: The paper row of each paper config (folder/short name), the comment of its alias.
ROWS: Dict[str, str] = {
    'source_only/gta2cs_deeplabv2_r101_1xb1':
        'GTA5 -> Cityscapes, without adaptation (Tsai et al. CVPR 2018 / ICCV 2019)',
    'source_only/gta2cs_deeplabv2_r101_4xb1':
        'GTA5 -> Cityscapes, without adaptation on 4 GPUs (not a paper recipe)',
    'source_only/gta2cs_deeplabv2_r101_torchvision_1xb1':
        'GTA5 -> Cityscapes, without adaptation, torchvision ImageNet ResNet-101 (not a paper '
        'recipe)',
    'source_only/gta2cs_deeplabv2_r101_noaux':
        'GTA5 -> Cityscapes, single-classifier DeepLab-v2 source model (Pi and GA / CA start)',
    'source_only/synthia2cs_deeplabv2_r101_noaux':
        'SYNTHIA -> Cityscapes, single-classifier DeepLab-v2 source model (no adaptation)',
    'source_only/cs_crosscity_deeplabv2_r101_noaux':
        'Cityscapes train -> val cities, single-classifier DeepLab-v2 source model',
    'source_only/gta2cs_vgg16':
        'GTA5 -> Cityscapes, source only (Hoffman et al. 2016)',
    'source_only/synthia2cs_vgg16':
        'SYNTHIA -> Cityscapes, source only (Hoffman et al. 2016)',
    'source_only/cs_crosscity_vgg16':
        'Cityscapes train -> val cities, source only (Hoffman et al. 2016)',
    'output_space/gta2cs_deeplabv2_r101_1xb1':
        'GTA5 -> Cityscapes, single-level output space (Tsai et al. CVPR 2018; Ou of ICCV 2019)',
    'output_space/gta2cs_deeplabv2_r101_4xb1':
        'GTA5 -> Cityscapes, single-level output space on 4 GPUs (not a paper recipe)',
    'output_space/gta2cs_deeplabv2_r101_aspp4_1xb1':
        'GTA5 -> Cityscapes, single-level output space, four ASPP branches (not a paper recipe)',
    'output_space/gta2cs_deeplabv2_r101_multilevel_1xb1':
        'GTA5 -> Cityscapes, multi-level output space (Tsai et al. CVPR 2018)',
    'output_space/synthia2cs_deeplabv2_r101_1xb1':
        'SYNTHIA -> Cityscapes, Ou (Tsai et al. ICCV 2019)',
    'output_space/cs2robotcar_deeplabv2_r101_1xb1':
        'Cityscapes -> Oxford RobotCar, Ou (Tsai et al. ICCV 2019)',
    'patch_align/gta2cs_1xb1':
        'GTA5 -> Cityscapes, patch alignment (Tsai et al. ICCV 2019)',
    'patch_align/gta2cs_4xb1':
        'GTA5 -> Cityscapes, patch alignment on 4 GPUs (not a paper recipe)',
    'patch_align/gta2cs_ld_only_1xb1':
        'GTA5 -> Cityscapes, Ls + Ld ablation (Tsai et al. ICCV 2019)',
    'patch_align/gta2cs_adv_no_ld_1xb1':
        'GTA5 -> Cityscapes, Ls + Ladv without Ld ablation (Tsai et al. ICCV 2019)',
    'patch_align/gta2cs_ou_1xb1':
        'GTA5 -> Cityscapes, Ou + patch alignment (Tsai et al. ICCV 2019)',
    'patch_align/synthia2cs_1xb1':
        'SYNTHIA -> Cityscapes, patch alignment (Tsai et al. ICCV 2019)',
    'patch_align/cs2robotcar_1xb1':
        'Cityscapes -> Oxford RobotCar, patch alignment (Tsai et al. ICCV 2019)',
    'fcn_wild/gta2cs_vgg16_ga':
        'GTA5 -> Cityscapes, GA (Hoffman et al. 2016)',
    'fcn_wild/gta2cs_vgg16_ga_ca':
        'GTA5 -> Cityscapes, GA + CA jointly (Hoffman et al. 2016)',
    'fcn_wild/gta2cs_vgg16_ga_then_ca':
        'GTA5 -> Cityscapes, GA, then GA + CA (Hoffman et al. 2016)',
    'fcn_wild/synthia2cs_vgg16_ga':
        'SYNTHIA -> Cityscapes, GA (Hoffman et al. 2016)',
    'fcn_wild/synthia2cs_vgg16_ga_ca':
        'SYNTHIA -> Cityscapes, GA + CA jointly (Hoffman et al. 2016)',
    'fcn_wild/synthia2cs_vgg16_ga_then_ca':
        'SYNTHIA -> Cityscapes, GA, then GA + CA (Hoffman et al. 2016)',
    'fcn_wild/cs_crosscity_vgg16_ga':
        'Cityscapes train -> val cities, GA (Hoffman et al. 2016)',
    'fcn_wild/cs_crosscity_vgg16_ga_ca':
        'Cityscapes train -> val cities, GA + CA jointly (Hoffman et al. 2016)',
    'fcn_wild/cs_crosscity_vgg16_ga_then_ca':
        'Cityscapes train -> val cities, GA, then GA + CA (Hoffman et al. 2016)',
    'fcn_wild/gta2cs_deeplabv2_r101_ga':
        'GTA5 -> Cityscapes, GA on DeepLab-v2 (not in the paper)',
    'fcn_wild/gta2cs_deeplabv2_r101_ga_ca':
        'GTA5 -> Cityscapes, GA + CA on DeepLab-v2 (not in the paper)',
    'fcn_wild/synthia2cs_deeplabv2_r101_ga':
        'SYNTHIA -> Cityscapes, GA on DeepLab-v2 (not in the paper)',
    'fcn_wild/synthia2cs_deeplabv2_r101_ga_ca':
        'SYNTHIA -> Cityscapes, GA + CA on DeepLab-v2 (not in the paper)',
    'fcn_wild/cs_crosscity_deeplabv2_r101_ga':
        'Cityscapes train -> val cities, GA on DeepLab-v2 (not in the paper)',
    'fcn_wild/cs_crosscity_deeplabv2_r101_ga_ca':
        'Cityscapes train -> val cities, GA + CA on DeepLab-v2 (not in the paper)',
    'pixel_level/gta2cs_cycada_1xb1':
        'GTA5 -> Cityscapes, Pi (Tsai et al. ICCV 2019)',
    'pixel_level/gta2cs_cycada_patch_1xb1':
        'GTA5 -> Cityscapes, Pi + patch alignment (Tsai et al. ICCV 2019)',
    'pixel_level/gta2cs_fda_1xb1':
        'GTA5 -> Cityscapes, Pi by FDA (not the paper\'s Pi)',
    'pixel_level/gta2cs_fda_patch_1xb1':
        'GTA5 -> Cityscapes, Pi by FDA + patch alignment (not the paper\'s Pi)',
    'pixel_level/synthia2cs_cycada_1xb1':
        'SYNTHIA -> Cityscapes, Pi (CyCADA)',
    'pixel_level/synthia2cs_cycada_patch_1xb1':
        'SYNTHIA -> Cityscapes, Pi (CyCADA) + patch alignment',
    'pixel_level/synthia2cs_fda_1xb1':
        'SYNTHIA -> Cityscapes, Pi by FDA',
    'pixel_level/synthia2cs_fda_patch_1xb1':
        'SYNTHIA -> Cityscapes, Pi by FDA + patch alignment',
    'self_training/gta2cs_ps_1xb1':
        'GTA5 -> Cityscapes, Ps (Tsai et al. ICCV 2019)',
    'self_training/gta2cs_ps_patch_1xb1':
        'GTA5 -> Cityscapes, Ps + patch alignment (Tsai et al. ICCV 2019)',
    'self_training/gta2cs_cbst_1xb1':
        'GTA5 -> Cityscapes, a CBST re-training round (not the paper\'s Ps)',
    'self_training/synthia2cs_ps_1xb1':
        'SYNTHIA -> Cityscapes, Ps',
    'self_training/synthia2cs_ps_patch_1xb1':
        'SYNTHIA -> Cityscapes, Ps + patch alignment',
    'fusion/gta2cs_pi_ou_1xb1':
        'GTA5 -> Cityscapes, Pi + Ou (Tsai et al. ICCV 2019)',
    'fusion/gta2cs_fusion_1xb1':
        'GTA5 -> Cityscapes, Fusion (Tsai et al. ICCV 2019)',
    'fusion/gta2cs_fusion_patch_1xb1':
        'GTA5 -> Cityscapes, Fusion + patch alignment (Tsai et al. ICCV 2019)',
    'fusion/synthia2cs_pi_ou_1xb1':
        'SYNTHIA -> Cityscapes, Pi + Ou (Tsai et al. ICCV 2019)',
    'fusion/synthia2cs_fusion_1xb1':
        'SYNTHIA -> Cityscapes, Fusion (Tsai et al. ICCV 2019)',
    'fusion/synthia2cs_fusion_patch_1xb1':
        'SYNTHIA -> Cityscapes, Fusion + patch alignment (Tsai et al. ICCV 2019)',
    'dacs/gta2cs_deeplabv2_r101_1xb2':
        'GTA5 -> Cityscapes, DACS (Tranheden et al. WACV 2021)',
    'dacs/gta2cs_patch_deeplabv2_r101_1xb2':
        'GTA5 -> Cityscapes, DACS + patch alignment (not in either paper)',
    'dacs/gta2cs_mic_deeplabv2_r101_1xb2':
        'GTA5 -> Cityscapes, DACS + MIC on DeepLab-v2 (not a paper recipe)',
    'dacs/dacs_segformer_mit-b5_gta2cs_1xb2':
        'GTA5 -> Cityscapes, DACS on SegFormer MiT-B5 (Hoyer et al. CVPR 2022, Table 5)',
    'dacs/dacs_patch_segformer_mit-b5_gta2cs_1xb2':
        'GTA5 -> Cityscapes, DACS + patch alignment on SegFormer MiT-B5 (not in either paper)',
    'dacs/daformer_segformer_mit-b5_gta2cs_1xb2':
        "GTA5 -> Cityscapes, DAFormer's strategies on SegFormer MiT-B5 (Hoyer et al. CVPR 2022, "
        'Table 5)',
    'dacs/daformer_segformer_mit-b5_patch_gta2cs_1xb2':
        "GTA5 -> Cityscapes, DAFormer's strategies + patch alignment (not in either paper)",
    'dacs/daformer_mic_segformer_mit-b5_gta2cs_1xb2':
        "GTA5 -> Cityscapes, DAFormer's strategies + MIC on SegFormer MiT-B5 (not a paper "
        'recipe)',
    'dacs/daformer_deeplabv2_r101_gta2cs_1xb2':
        "GTA5 -> Cityscapes, DAFormer's strategies on DeepLab-v2 (Hoyer et al. CVPR 2022, "
        'Table 5)',
    'dacs/daformer_deeplabv2_r101_patch_gta2cs_1xb2':
        "GTA5 -> Cityscapes, DAFormer's strategies + patch alignment on DeepLab-v2 (not in "
        'either paper)',
    'dacs/gta2cs_mic_patch_deeplabv2_r101_1xb2':
        'GTA5 -> Cityscapes, DACS + MIC + patch alignment on DeepLab-v2 (not a paper recipe)',
    'dacs/daformer_mic_segformer_mit-b5_patch_gta2cs_1xb2':
        "GTA5 -> Cityscapes, DAFormer's strategies + MIC + patch alignment on SegFormer MiT-B5 "
        '(not a paper recipe)',
}

#: A scheme name: method, network, NxbM-iterations, source-HxW, target-HxW.
SCHEME = re.compile(r'^[a-z0-9-]+_[a-z0-9-]+_\d+xb\d+-\w+_[a-z0-9-]+-\d+x\d+_[a-z0-9-]+-\d+x\d+$')
#: The ``_NxbM`` of a short name: GPUs and batch size per GPU.
GPUS = re.compile(r'_(\d+)xb(\d+)$')
DATASETS = {'GTA5Dataset': 'gta5', 'SynthiaDataset': 'synthia', 'CityscapesDataset': 'cityscapes',
            'CityscapesAsRobotCarDataset': 'cityscapes', 'OxfordRobotCarDataset': 'robotcar'}
HEADS = {'DeepLabV2Head': 'deeplabv2', 'FCNHead': 'fcn', 'SegformerHead': 'segformer'}
#: MiT variants (SegFormer, Xie et al. 2021) by first-stage width and blocks per stage.
MIT_VARIANTS = {(32, (2, 2, 2, 2)): 'b0', (64, (2, 2, 2, 2)): 'b1', (64, (3, 4, 6, 3)): 'b2',
                (64, (3, 4, 18, 3)): 'b3', (64, (3, 8, 27, 3)): 'b4', (64, (3, 6, 40, 3)): 'b5'}
README = 'README.md'
TABLE_START = '<!-- config names: written by tools/misc/config_names.py --write -->'
TABLE_END = '<!-- end of config names -->'


def load(path: str) -> Config:
    """The merged config, without importing its ``custom_imports``."""
    return Config.fromfile(path, import_custom_modules=False)


def method_parts(cfg: Config) -> List[str]:
    """The method's parts, in the order ``configs/README.md`` lists them."""
    source, _ = train_sets(cfg)
    parts = []
    if source.type == 'TranslatedSourceDataset':
        parts.append('cycada')
    if any(step.type == 'FourierDomainAdaptation' for step in train_pipeline(source)):
        parts.append('fda')
    types = {a.type: a for a in (cfg.model.get('adaptations') or {}).values()}
    if 'GlobalFeatureAlignment' in types:
        parts.append('ga')
    if 'CategoryAdaptation' in types:
        parts.append('ca')
    if 'OutputSpaceAdaptation' in types:
        levels = types['OutputSpaceAdaptation'].levels
        parts.append('output-space' + ('-multilevel' if len(levels) > 1 else ''))
    if 'AdversarialSelfTraining' in types:
        parts.append('adv-st')
    if 'PseudoLabelTraining' in types:
        parts.append('cbst')
    if 'DACS' in types:
        parts.append('dacs' + ('-mic' if types['DACS'].get('masked_consistency') else ''))
    if 'ImageNetFeatureDistance' in types:
        parts.append('fd')
    if cfg.train_dataloader.dataset.get('rare_class_sampling'):
        parts.append('rcs')
    if 'PatchAlignment' in types:
        patch = types['PatchAlignment']
        off = [name for name, key in (('ld', 'loss_weight_cluster'), ('adv', 'loss_weight_adv'))
               if patch.get(key) == 0]
        parts.append('-'.join(['patch-align'] + [f'no-{name}' for name in off]))
    unknown = set(types) - {'GlobalFeatureAlignment', 'CategoryAdaptation', 'OutputSpaceAdaptation',
                            'AdversarialSelfTraining', 'PseudoLabelTraining', 'PatchAlignment',
                            'DACS', 'ImageNetFeatureDistance'}
    if unknown:
        raise ValueError(f'no scheme token for the adaptations {sorted(unknown)}')
    return parts


def start_config(cfg: Config, configs_root: str) -> Optional[str]:
    """The shipped config whose run writes ``cfg.load_from`` (``work_dirs/<run>/...``)."""
    match = re.match(r'^work_dirs/([^/]+)/', cfg.get('load_from') or '')
    if not match:
        return None
    found = glob.glob(osp.join(configs_root, '*', f'{match.group(1)}.py'))
    return found[0] if len(found) == 1 else None


def method_token(cfg: Config, configs_root: str) -> str:
    """``A-then-B`` when ``load_from`` starts from a config adapting with ``A``, else the parts."""
    parts = method_parts(cfg)
    start = start_config(cfg, configs_root)
    before = method_parts(load(start)) if start else []
    if before and parts[:len(before)] == before and len(parts) > len(before):
        return '-'.join(before) + '-then-' + '-'.join(parts[len(before):])
    return '-'.join(parts) or 'source-only'


def network_token(cfg: Config) -> str:
    """Decode head and backbone, with the variants that tell two shipped networks apart."""
    seg = segmentor_cfg(cfg.model)
    head = seg.decode_head
    if head.type not in HEADS:
        raise ValueError(f'no scheme token for the decode head {head.type}')
    token = HEADS[head.type]
    if head.type == 'DeepLabV2Head' and len(head.dilations) != 2:
        token += f'-aspp{len(head.dilations)}'
    backbone = seg.backbone
    if backbone.type in ('DeepLabV2ResNet', 'ResNet'):
        token += f'-r{backbone.depth}'
    elif backbone.type == 'DilatedVGG16':
        token += '-vgg16'
    elif backbone.type == 'MixVisionTransformer':
        variant = MIT_VARIANTS.get((backbone.embed_dims, tuple(backbone.num_layers)))
        if variant is None:
            raise ValueError(f'no scheme token for the MiT of embed_dims {backbone.embed_dims}, '
                             f'num_layers {backbone.num_layers}')
        token += f'-mit-{variant}'
    else:
        raise ValueError(f'no scheme token for the backbone {backbone.type}')
    checkpoint = (backbone.get('init_cfg') or {}).get('checkpoint') or ''
    if checkpoint.startswith('torchvision://'):
        token += '-torchvision'
    if seg.get('auxiliary_head'):
        token += '-aux'
    return token


def schedule_token(cfg: Config, short_name: str) -> str:
    """``{gpus}xb{batch}-{iterations}``; the GPU count is the short name's, batch must match."""
    batch = cfg.train_dataloader.batch_size
    match = GPUS.search(short_name)
    if match and int(match.group(2)) != batch:
        raise ValueError(f'{short_name} says batch {match.group(2)}, its train_dataloader has '
                         f'batch_size {batch}')
    gpus = int(match.group(1)) if match else 1
    iters = cfg.train_cfg.max_iters
    return f'{gpus}xb{batch}-' + (f'{iters // 1000}k' if iters % 1000 == 0 else str(iters))


def train_sets(cfg: Config) -> Tuple[dict, Optional[dict]]:
    """The source and target training sets (target None for a source-only config)."""
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'UDADataset':
        return dataset.source, dataset.target
    return dataset, None


def train_pipeline(dataset: dict) -> list:
    """A dataset's pipeline (a translated set's: its source's)."""
    return dataset.get('pipeline') or dataset.get('source', {}).get('pipeline') or []


def input_size(pipeline: Sequence[dict]) -> Tuple[int, int]:
    """H, W of the pipeline's last ``Resize`` (its scale is W, H) or ``RandomCrop`` (H, W)."""
    size = None
    for step in pipeline:
        if step.type == 'Resize':
            size = (step.scale[1], step.scale[0])
        elif step.type == 'RandomCrop':
            size = tuple(step.crop_size)
        elif step.type == 'RandomResize':
            size = None
    if size is None:
        raise ValueError('the pipeline resizes to no fixed size: '
                         + ', '.join(step.type for step in pipeline))
    return size


def dataset_base(dataset: dict) -> dict:
    """The dataset that lists the images (a translated set's original source)."""
    return dataset.source if dataset.type == 'TranslatedSourceDataset' else dataset


def datasets_token(cfg: Config) -> str:
    """``{source}-{HxW}_{target}-{HxW}``; the evaluation set stands for a missing target set."""
    source, target = train_sets(cfg)
    target = target or cfg.val_dataloader.dataset
    names = []
    for dataset in (source, target):
        base = dataset_base(dataset)
        if base.type not in DATASETS:
            raise ValueError(f'no scheme token for the dataset {base.type}')
        names.append(DATASETS[base.type])
    if names[0] == names[1]:
        names = [f'{name}-{osp.basename(dataset_base(d).data_prefix.img_path)}'
                 for name, d in zip(names, (source, target))]
    return '_'.join(f'{name}-{h}x{w}' for name, (h, w) in
                    zip(names, (input_size(train_pipeline(source)),
                                input_size(train_pipeline(target)))))


def scheme_name(path: str) -> str:
    """The scheme name (file name without ``.py``) of the config at ``path``."""
    cfg = load(path)
    configs_root = osp.dirname(osp.dirname(osp.abspath(path)))
    short = osp.splitext(osp.basename(path))[0]
    return '_'.join([method_token(cfg, configs_root), network_token(cfg),
                     schedule_token(cfg, short), datasets_token(cfg)])


def paper_configs(configs_root: str) -> List[str]:
    """``folder/short`` of every paper config: not an alias, not in :data:`UNNAMED`."""
    found = []
    for folder in PAPER_FOLDERS:
        for path in sorted(glob.glob(osp.join(configs_root, folder, '*.py'))):
            name = osp.basename(path)
            if not any(fnmatch.fnmatch(name, p) for p in UNNAMED) and not alias_target(path):
                found.append(f'{folder}/{name[:-3]}')
    return found


def alias_text(key: str) -> str:
    """The whole alias file of the paper config ``folder/short``."""
    short = key.split('/')[1]
    return (f'# {ROWS[key]}\n'
            f"_base_ = ['./{short}.py']\n")


def aliases(configs_root: str) -> Dict[str, str]:
    """``folder/short`` -> the alias file name of each paper config."""
    return {key: scheme_name(osp.join(configs_root, f'{key}.py')) + '.py'
            for key in paper_configs(configs_root)}


def names_table(names: Dict[str, str]) -> str:
    """The table of ``configs/README.md``, markers included."""
    lines = [TABLE_START, '', '| folder | short name | MMSeg-scheme name | paper row |',
             '|---|---|---|---|']
    for key, alias in names.items():
        folder, short = key.split('/')
        lines.append(f'| `{folder}` | [`{short}.py`]({folder}/{short}.py) '
                     f'| [`{alias}`]({folder}/{alias}) | {ROWS[key]} |')
    return '\n'.join(lines + ['', TABLE_END])


def readme_with_table(text: str, table: str) -> str:
    """``text`` with its marked table replaced by ``table``."""
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + table + text[end:]


def check(configs_root: str) -> List[str]:
    """Every error of the aliases and tables under ``configs_root``, one message each."""
    errors = []
    names: Dict[str, str] = {}
    for key in paper_configs(configs_root):
        if key not in ROWS:
            errors.append(f'{key}.py: a paper config without a row in ROWS of '
                          'tools/misc/config_names.py')
            continue
        try:
            names[key] = scheme_name(osp.join(configs_root, f'{key}.py')) + '.py'
        except ValueError as e:
            errors.append(f'{key}.py: {e}')
    seen: Dict[str, str] = {}
    for key, alias in names.items():
        other = seen.setdefault(alias, key)
        if other != key:
            errors.append(f'{key}.py and {other}.py both derive the name {alias}')
        path = osp.join(configs_root, key.split('/')[0], alias)
        if not osp.exists(path):
            errors.append(f'{path}: missing, the alias of {key}.py (run --write)')
        elif open(path).read() != alias_text(key):
            errors.append(f'{path}: not the alias file of {key}.py (run --write)')
    expected = {osp.join(key.split('/')[0], alias) for key, alias in names.items()}
    for folder in PAPER_FOLDERS:
        for path in sorted(glob.glob(osp.join(configs_root, folder, '*.py'))):
            rel = osp.relpath(path, configs_root)
            target = alias_target(path)
            stem = osp.basename(path)[:-3]
            if target and SCHEME.match(stem) and rel not in expected:
                derived = names.get(f'{folder}/{osp.basename(target)[:-3]}')
                errors.append(f'{path}: named {stem}.py, but its target {target} derives '
                              f'{derived}')
        readme = osp.join(configs_root, folder, README)
        text = open(readme).read() if osp.exists(readme) else ''
        for key, alias in names.items():
            named = re.search(rf'(?<![\w-]){re.escape(alias)}', text)
            if key.startswith(folder + '/') and not named:
                errors.append(f'{readme}: does not name {alias} (the alias of {key}.py)')
    readme = osp.join(configs_root, README)
    text = open(readme).read() if osp.exists(readme) else ''
    if TABLE_START not in text or TABLE_END not in text or \
            readme_with_table(text, names_table(names)) != text:
        errors.append(f'{readme}: its config-name table is not the current one (run --write)')
    return errors


def write(configs_root: str) -> None:
    """Write every alias file and the table of ``configs/README.md`` (between its markers)."""
    names = aliases(configs_root)
    for key, alias in names.items():
        with open(osp.join(configs_root, key.split('/')[0], alias), 'w') as f:
            f.write(alias_text(key))
    readme = osp.join(configs_root, README)
    with open(readme) as f:
        text = f.read()
    with open(readme, 'w') as f:
        f.write(readme_with_table(text, names_table(names)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*', help='configs to print the scheme name of')
    parser.add_argument('--configs-root', default=osp.join(REPO, 'configs'))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--write', action='store_true', help='write the aliases and the table')
    mode.add_argument('--check', action='store_true', help='verify the aliases and tables')
    args = parser.parse_args(argv)
    for path in args.configs:
        print(f'{path}: {scheme_name(path)}.py')
    if args.write:
        write(args.configs_root)
    if args.check:
        errors = check(args.configs_root)
        for error in errors:
            print(error, file=sys.stderr)
        print(f'{len(paper_configs(args.configs_root))} paper configs, '
              f'{len(errors)} errors', file=sys.stderr)
        return 1 if errors else 0
    return 0


if __name__ == '__main__':
    sys.exit(main())
