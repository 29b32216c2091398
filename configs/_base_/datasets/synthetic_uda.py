# The built-in synthetic domain shift (tools/generate_synthetic_data.py): a labelled "source"
# city and an appearance-shifted "target" city, in the Cityscapes folder layout, read with
# MMSeg's own CityscapesDataset (19 train ids; the scenes draw 10 of them).
_base_ = ['./test_time_aug.py']
data_root = 'data/synthetic'
crop_size = (96, 192)
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
source_train = dict(
    type='CityscapesDataset',
    data_root=data_root + '/source',
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=source_pipeline,
)
target_train = dict(
    type='CityscapesDataset',
    data_root=data_root + '/target',
    data_prefix=dict(img_path='leftImg8bit/train'),
    pipeline=target_pipeline,
)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    # no target image is decoded during model.warmup_iters (a plain batch sampler otherwise)
    batch_sampler=dict(type='UDAWarmupBatchSampler'),
    dataset=dict(type='UDADataset', source=source_train, target=target_train),
)
# Evaluation on the target domain's labelled val split.
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesDataset',
        data_root=data_root + '/target',
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
