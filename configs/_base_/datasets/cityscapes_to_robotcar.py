# Cityscapes -> Oxford RobotCar (rain), 9 classes (Tsai et al. ICCV 2019). Both domains in the
# RobotCar label space: the 2,975 Cityscapes train images with their labels mapped 19 -> 9
# (CityscapesAsRobotCarDataset, see mmseg_uda/datasets/robotcar.py), resized to 1024x512;
# target: the unlabelled RobotCar train images (1280x960), resized to 1024x768 (our choice: the
# source width, aspect ratio kept). Evaluation: RobotCar val at 1024x768, logits upsampled to
# the full-resolution labels, 9-class IoUMetric. Models trained with this config need
# num_classes=9 (configs/output_space/cs2robotcar_deeplabv2_r101_1xb1.py).
_base_ = ['./test_time_aug.py']
cityscapes_root = 'data/cityscapes'
robotcar_root = 'data/robotcar'
# LoadCheckedAnnotations: MMSeg's LoadAnnotations, then each label's size and values are
# checked against its image and the dataset's classes, naming the file (mmseg_uda.datasets).
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='PackSegInputs'),
]
# No LoadAnnotations: target labels are never read in training (UDADataset enforces it).
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 768), keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 768), keep_ratio=True),
    dict(type='LoadCheckedAnnotations'),
    dict(type='PackSegInputs'),
]
# tools/test.py --tta: the test resize, then ./test_time_aug.py's scales and flips
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 768), keep_ratio=True),
    {{_base_.test_time_aug}},
]
source_train = dict(
    type='CityscapesAsRobotCarDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=source_pipeline,
)
target_train = dict(
    type='OxfordRobotCarDataset',
    data_root=robotcar_root,
    data_prefix=dict(img_path='images/train'),
    pipeline=target_pipeline,
)
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    # no target image is decoded during model.warmup_iters (a plain batch sampler otherwise)
    batch_sampler=dict(type='UDAWarmupBatchSampler'),
    dataset=dict(type='UDADataset', source=source_train, target=target_train),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='OxfordRobotCarDataset',
        data_root=robotcar_root,
        data_prefix=dict(img_path='images/val', seg_map_path='labels/val'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
