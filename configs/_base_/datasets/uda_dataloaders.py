# The frame every UDA dataset config here shares: the UDADataset training loader (batch 1 + 1,
# 4 workers, infinite shuffled sampling, no target image decoded during model.warmup_iters), the
# evaluation loader on the target domain and the mIoU evaluator, with pipelines for frames used
# at their native size (random flip in training). A dataset config lists this file (or one that
# extends it) as its base and sets the datasets' type, root and folders in `source_train`,
# `target_train` and `val_dataloader.dataset`; one that resizes replaces the pipelines and sets
# them again where this file placed them (source_train, target_train, val_dataloader.dataset).
# Only keys that every dataset config defines, so a config gains no key by inheriting it.
_base_ = ['./test_time_aug.py']
# LoadCheckedAnnotations: MMSeg's LoadAnnotations, then each label's size and values are
# checked against its image and the dataset's classes, naming the file (mmseg_uda.datasets).
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# No LoadAnnotations: target labels are never read in training (UDADataset enforces it).
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='PackSegInputs'),
]
# tools/test.py --tta: ./test_time_aug.py's scales and flips of the native frames
tta_pipeline = [dict(type='LoadImageFromFile'), {{_base_.test_time_aug}}]
source_train = dict(pipeline=source_pipeline)
target_train = dict(pipeline=target_pipeline)
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
    dataset=dict(pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
