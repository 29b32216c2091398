"""`import mmseg_uda` registers every component into MMSeg's registries, and each builds."""
import subprocess
import sys

import torch

from torch.utils.data import SequentialSampler

from mmseg.registry import (DATA_SAMPLERS, DATASETS, HOOKS, METRICS, MODELS,
                            OPTIM_WRAPPER_CONSTRUCTORS, TRANSFORMS)
from tests.conftest import output_space_cfg, tiny_model_cfg

REGISTRIES = dict(MODELS=MODELS, DATASETS=DATASETS, HOOKS=HOOKS, METRICS=METRICS,
                  TRANSFORMS=TRANSFORMS, OPTIM_WRAPPER_CONSTRUCTORS=OPTIM_WRAPPER_CONSTRUCTORS,
                  DATA_SAMPLERS=DATA_SAMPLERS)


def package_components():
    """(registry name, component name) of everything mmseg_uda registered."""
    return sorted((reg_name, name) for reg_name, reg in REGISTRIES.items()
                  for name, cls in reg.module_dict.items()
                  if cls.__module__.startswith('mmseg_uda'))


def build_configs(tmp_path):
    """A config dict for each component, by (registry, name)."""
    from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
    generate_synthetic_uda_data(str(tmp_path), num_train=2, num_val=1, width=64, height=32)
    from mmseg_uda.class_stats import ClassSizeStats
    stats_file = str(tmp_path / 'class_stats.json')
    ClassSizeStats(['a', 'b'], [0.01, 0.2], [0.05, 0.4], [0.1, 0.6], [1, 2], 2).save(stats_file)
    city = dict(type='CityscapesDataset', data_prefix=dict(img_path='leftImg8bit/train'),
                pipeline=[dict(type='LoadImageFromFile'), dict(type='PackSegInputs')])
    return {
        ('MODELS', 'UDASegmentor'): dict(tiny_model_cfg(adaptations=output_space_cfg())),
        ('MODELS', 'OutputSpaceAdaptation'): dict(type='OutputSpaceAdaptation', num_classes=4),
        ('MODELS', 'ConvDiscriminator'): dict(type='ConvDiscriminator', in_channels=4),
        ('MODELS', 'AdversarialLoss'): dict(type='AdversarialLoss', gan_type='ls'),
        ('MODELS', 'DomainConfusionLoss'): dict(type='DomainConfusionLoss', loss_weight=0.5),
        ('MODELS', 'DeepLabV2Head'): dict(type='DeepLabV2Head', in_channels=8, num_classes=4),
        ('MODELS', 'DilatedVGG16'): dict(type='DilatedVGG16', fc_channels=8),
        ('MODELS', 'PatchAlignment'): dict(type='PatchAlignment', num_classes=4, patch_size=8,
                                           modes=torch.rand(5, 2 * 2 * 4), num_modes=5),
        ('MODELS', 'PatchClusterHead'): dict(type='PatchClusterHead', num_classes=4, num_modes=5),
        ('MODELS', 'AdversarialSelfTraining'): dict(type='AdversarialSelfTraining', num_classes=4),
        ('MODELS', 'PseudoLabelTraining'): dict(type='PseudoLabelTraining', num_classes=4),
        ('MODELS', 'DACS'): dict(type='DACS', num_classes=4),
        ('MODELS', 'EMATeacher'): dict(type='EMATeacher', alpha=0.999),
        ('MODELS', 'MaskedImageConsistency'): dict(type='MaskedImageConsistency'),
        ('MODELS', 'ImageNetFeatureDistance'): dict(type='ImageNetFeatureDistance',
                                                     num_classes=19, classes=[6, 7]),
        ('MODELS', 'FCDiscriminator'): dict(type='FCDiscriminator', in_channels=5),
        ('MODELS', 'GlobalFeatureAlignment'): dict(type='GlobalFeatureAlignment', num_classes=4,
                                                   in_channels=64),
        ('MODELS', 'FeatureDiscriminator'): dict(type='FeatureDiscriminator', in_channels=64),
        ('MODELS', 'CategoryAdaptation'): dict(type='CategoryAdaptation', num_classes=2,
                                               stats_file=stats_file, classes=['a', 'b']),
        ('MODELS', 'ConstrainedMILLoss'): dict(type='ConstrainedMILLoss', alpha=[0.01, 0.2],
                                               delta=[0.05, 0.4], gamma=[0.1, 0.6]),
        ('DATASETS', 'UDADataset'): dict(
            type='UDADataset', source=dict(city, data_root=str(tmp_path / 'source')),
            target=dict(city, data_root=str(tmp_path / 'target'))),
        ('DATASETS', 'GTA5Dataset'): dict(type='GTA5Dataset', lazy_init=True),
        ('DATASETS', 'SynthiaDataset'): dict(type='SynthiaDataset', lazy_init=True),
        ('DATASETS', 'OxfordRobotCarDataset'): dict(type='OxfordRobotCarDataset', lazy_init=True),
        ('DATASETS', 'CamVidDataset'): dict(type='CamVidDataset', lazy_init=True),
        ('DATASETS', 'CityscapesAsRobotCarDataset'): dict(
            type='CityscapesAsRobotCarDataset', data_root=str(tmp_path / 'source'),
            data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train')),
        ('METRICS', 'ClassIoUMetric'): dict(type='ClassIoUMetric'),
        ('METRICS', 'ClassSubsetIoUMetric'): dict(type='ClassSubsetIoUMetric',
                                                  subsets=dict(mIoU13=['road', 'car'])),
        ('HOOKS', 'DistParamsCheckHook'): dict(type='DistParamsCheckHook', interval=10),
        ('HOOKS', 'AdaBNHook'): dict(type='AdaBNHook', batch_size=4),
        ('HOOKS', 'DataChecksHook'): dict(type='DataChecksHook'),
        ('HOOKS', 'SafeCheckpointHook'): dict(type='SafeCheckpointHook', interval=10,
                                              by_epoch=False),
        ('MODELS', 'DeepLabV2ResNet'): dict(type='DeepLabV2ResNet', depth=50),
        ('MODELS', 'EfficientNetLite'): dict(type='EfficientNetLite', arch='lite0'),
        ('TRANSFORMS', 'LoadCheckedAnnotations'): dict(type='LoadCheckedAnnotations'),
        ('TRANSFORMS', 'FourierDomainAdaptation'): dict(
            type='FourierDomainAdaptation', target_dir=str(tmp_path / 'target')),
        ('DATASETS', 'TranslatedSourceDataset'): dict(
            type='TranslatedSourceDataset', source=dict(city, data_root=str(tmp_path / 'source')),
            translated_dir=str(tmp_path / 'target' / 'leftImg8bit' / 'train'), lazy_init=True),
        ('DATA_SAMPLERS', 'UDAWarmupBatchSampler'): dict(
            type='UDAWarmupBatchSampler', sampler=SequentialSampler(range(4)), batch_size=2),
        ('OPTIM_WRAPPER_CONSTRUCTORS', 'UDAOptimWrapperConstructor'): dict(
            type='UDAOptimWrapperConstructor',
            optim_wrapper_cfg=dict(generator=dict(optimizer=dict(type='SGD', lr=0.1)))),
    }


def test_every_registered_component_builds(tmp_path):
    configs = build_configs(tmp_path)
    registered = package_components()
    missing = sorted(set(registered) - set(configs))
    assert not missing, f'add a build config for {missing}'
    for (reg_name, name), cfg in configs.items():
        assert (reg_name, name) in registered, f'{name} is not registered in {reg_name}'
        obj = REGISTRIES[reg_name].build(cfg)
        assert type(obj).__name__ == name
        if isinstance(obj, torch.nn.Module):  # a second build takes its state dict as it is
            REGISTRIES[reg_name].build(cfg).load_state_dict(obj.state_dict(), strict=True)


def test_import_alone_registers_in_a_fresh_process():
    code = ('import mmseg_uda; from mmseg.registry import MODELS, DATASETS; '
            "assert MODELS.get('UDASegmentor') and DATASETS.get('UDADataset'); print('ok')")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith('ok'), out.stderr[-2000:]
