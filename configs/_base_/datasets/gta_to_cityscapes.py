# GTA5 -> Cityscapes (AdaptSegNet, Tsai et al. CVPR 2018; patch alignment, Tsai et al. ICCV 2019;
# FCNs in the Wild, Hoffman et al. 2016). Source: the 24,966 GTA5 frames with labels converted
# to Cityscapes train ids (tools/dataset_converters/gta.py), resized to 1280x720. Target: the
# 2,975 Cityscapes train images, unlabelled, resized to 1024x512. Evaluation: the 500 Cityscapes
# val images, 19 classes, input resized to 1024x512; the segmentor upsamples the logits to the
# label's full 2048x1024 resolution before the arg-max (EncoderDecoder.postprocess_result), and
# IoUMetric logs the per-class IoU table. Data preparation: docs/data_preparation.md; other data
# locations: --cfg-options train_dataloader.dataset.source.data_root=... (and .target.,
# val_dataloader.dataset., test_dataloader.dataset.).
_base_ = ['./test_time_aug.py']
gta_root = 'data/gta'
cityscapes_root = 'data/cityscapes'
# AdaptSegNet resizes without keeping the aspect ratio and, by default, neither flips nor crops.
# LoadCheckedAnnotations: MMSeg's LoadAnnotations, then each label's size and values are
# checked against its image and the dataset's classes, naming the file (mmseg_uda.datasets).
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=False),
    dict(type='PackSegInputs'),
]
# No LoadAnnotations: target labels are never read in training (UDADataset enforces it).
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='PackSegInputs'),
]
# Labels are loaded after Resize, so they keep their full resolution.
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
    type='GTA5Dataset',
    data_root=gta_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=source_pipeline,
)
target_train = dict(
    type='CityscapesDataset',
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train'),
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
