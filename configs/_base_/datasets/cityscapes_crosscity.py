# Cityscapes train cities -> val cities (FCNs in the Wild, Hoffman et al. 2016, "Cityscapes
# train -> val"): source = the 2,975 labelled train images (18 cities), target = the 500 val
# images (3 other cities) without their labels, evaluation = the same val images with labels,
# 19 classes. All at 1024x512; evaluation upsamples the logits to the 2048x1024 labels.
_base_ = ['./test_time_aug.py']
cityscapes_root = 'data/cityscapes'
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
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadCheckedAnnotations'),
    dict(type='PackSegInputs'),
]
# tools/test.py --tta: the test resize, then ./test_time_aug.py's scales and flips
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    {{_base_.test_time_aug}},
]
source_train = dict(
    type='CityscapesDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=source_pipeline,
)
target_train = dict(
    type='CityscapesDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/val'),
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
        type='CityscapesDataset',
        data_root=cityscapes_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
